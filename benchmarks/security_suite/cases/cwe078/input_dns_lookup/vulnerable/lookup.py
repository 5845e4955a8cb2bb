import subprocess


def main() -> None:
    zone = input("zone to inspect: ").strip()
    proc = subprocess.Popen(
        "dig +short NS " + zone, shell=True, stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate()
    print(out or "no name servers")


if __name__ == "__main__":
    main()
