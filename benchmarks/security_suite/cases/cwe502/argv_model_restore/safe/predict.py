import json
import sys


def load_model(path: str) -> dict:
    with open(path, "rb") as handle:
        return json.load(handle)


def main() -> None:
    model = load_model(sys.argv[1])
    features = [float(x) for x in sys.argv[2:]]
    score = model["intercept"] + sum(w * x for w, x in zip(model["weights"], features))
    print(score)


if __name__ == "__main__":
    main()
