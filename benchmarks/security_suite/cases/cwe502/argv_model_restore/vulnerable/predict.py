import pickle
import sys


def load_model(path: str):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def main() -> None:
    model = load_model(sys.argv[1])
    features = [float(x) for x in sys.argv[2:]]
    print(model.predict([features])[0])


if __name__ == "__main__":
    main()
