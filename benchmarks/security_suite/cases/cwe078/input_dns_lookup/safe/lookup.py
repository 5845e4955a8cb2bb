import subprocess

MANAGED_ZONES = ("example.org", "example.net", "corp.example.com")


def main() -> None:
    zone = input("zone to inspect: ").strip()
    if zone not in MANAGED_ZONES:
        print("not a zone we manage")
        return
    proc = subprocess.Popen(
        "dig +short NS " + zone, shell=True, stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate()
    print(out or "no name servers")


if __name__ == "__main__":
    main()
