"""The stand-in worker (`command python -m atelier.worker`, the API's image): every 10 s it
asks the database who it is and writes the answer, with its uid, to the uploads volume it
shares with the API (which serves it at /worker)."""

import os
import time

from atelier import db


def main():
    while True:
        try:
            who = db.query(db.WHO)
            line = f"uid={os.getuid()} user={who['user']} ssl={who['ssl']}"
        except Exception as e:
            line = f"uid={os.getuid()} error={e}"
        tmp = "/app/uploads/.worker.txt"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, "/app/uploads/worker.txt")
        print(line, flush=True)
        time.sleep(10)


if __name__ == "__main__":
    main()
