def main():
    raise SystemExit("being written")
