def main() -> None:
    source = input("amount in metres (you may use arithmetic): ")
    code = compile(source, "<amount>", "eval")
    metres = eval(code)
    print(f"{metres * 3.28084:.2f} ft")


if __name__ == "__main__":
    main()
