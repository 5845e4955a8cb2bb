"""Interprocedural, cross-module taint analysis.

Two phases, so the expensive one stays per file and cacheable: `extract.module_facts`
turns one parsed module into `facts.ModuleFacts` (which parameters and request data reach
which sinks, the return value and which calls), cached with the file's other findings;
`solver.trace_flows` joins every module's facts into function summaries and reports each
source-to-sink path it finds across calls and modules as a finding with its `flow`.
"""
