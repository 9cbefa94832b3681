"""Per-request outcome codes, named once (the codes of ``shared/reference``'s outcome files, plus
11/12 for a GET miss that is not filled: explicit traces, whose client issues its own SETs).

A ``+1`` variant of a GET miss (2 = 0 + STALE_OFFSET, 4, 12) means the key was there but stale:
lazily expired by this very GET.
"""
from __future__ import annotations

GET_MISS_FILLED = 0          # miss, the look-aside fill SET was stored
GET_HIT = 1
STALE_OFFSET = 2             # GET_MISS_FILLED + STALE_OFFSET: the key had expired (lazy expiry)
GET_MISS_REFUSED = 3         # miss, the fill was refused with -OOM (4: the key had expired)
SET_CREATED = 5
SET_OVERWROTE = 6
SET_REFUSED = 7              # -OOM
DEL_LIVE = 8
DEL_STALE = 9                # the key had expired: DEL returns 0, the key counts as expired
DEL_ABSENT = 10
GET_MISS_NO_FILL = 11        # explicit traces (12: the key had expired)
SERVER_COMMAND = 13          # FLUSHALL or MEMORY PURGE ran (no key)

GET_OUTCOMES = (GET_MISS_FILLED, GET_HIT, GET_MISS_FILLED + STALE_OFFSET, GET_MISS_REFUSED,
                GET_MISS_REFUSED + 1, GET_MISS_NO_FILL, GET_MISS_NO_FILL + 1)
NAMES = {GET_MISS_FILLED: "get miss, filled", GET_HIT: "get hit", 2: "get miss (expired), filled",
         GET_MISS_REFUSED: "get miss, fill refused (OOM)", 4: "get miss (expired), fill refused (OOM)",
         SET_CREATED: "set created", SET_OVERWROTE: "set overwrote", SET_REFUSED: "set refused (OOM)",
         DEL_LIVE: "del removed a key", DEL_STALE: "del found an expired key", DEL_ABSENT: "del found nothing",
         GET_MISS_NO_FILL: "get miss", 12: "get miss (expired)", SERVER_COMMAND: "server command"}
