def main() -> None:
    source = input("amount in metres: ")
    metres = float(source)
    print(f"{metres * 3.28084:.2f} ft")


if __name__ == "__main__":
    main()
