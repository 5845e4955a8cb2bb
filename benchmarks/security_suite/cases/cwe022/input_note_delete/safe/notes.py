import os

NOTES_DIR = os.path.expanduser("~/.notes")


def delete_note(title: str) -> None:
    os.remove(os.path.join(NOTES_DIR, os.path.basename(title) + ".md"))


def main() -> None:
    title = input("note to delete: ")
    delete_note(title)
    print("deleted")


if __name__ == "__main__":
    main()
