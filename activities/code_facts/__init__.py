"""Code facts the code-intelligence flows share: metrics, git history, changed lines,
dead code. Plain functions, tested on their own; each flow wraps them in its activities."""
