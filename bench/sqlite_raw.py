"""The raw SQLite conditional statement, one per commit, WAL + synchronous=NORMAL: the
baseline the HTTP consume on SQLite is compared with. Prints statements per second."""
import sqlite3, sys, time, random

path = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE IF NOT EXISTS bench_counters (id INTEGER PRIMARY KEY, used INTEGER NOT NULL, lim INTEGER NOT NULL)")
db.executemany("INSERT OR REPLACE INTO bench_counters VALUES (?, 0, ?)", [(i, 1 << 60) for i in range(1000)])
stmt = "UPDATE bench_counters SET used = used + 1 WHERE id = ? AND used + 1 <= lim RETURNING used"
n, deadline = 0, time.time() + seconds
start = time.time()
while time.time() < deadline:
    for _ in range(100):
        db.execute(stmt, (random.randrange(1000),)).fetchone()
    n += 100
print(f"{n / (time.time() - start):.0f}")
