# mypy: ignore-errors
# (numba compiles this module with its own typing: numpy scalars that mypy cannot follow)
"""The VICS reader's byte-level pre-scan (numba): one pass over the bytes as they are read, before
yajl sees them, that bounds the nesting depth and the length of one value, and finds the
``Media`` records so that ijson's C ``items`` can build them.

It follows JSON's structure only as far as it must: strings (with their escapes) are skipped,
``[``/``{`` and ``]``/``}`` counted, and a key is recognised by the ``:`` after it. A record is an
object that is an item of an array that is the value of a key spelled exactly ``Media``, with no
record around it (the rule ``vics._records`` follows). Consecutive records separated only by
white space and commas make a *run* (of about ``max_record`` bytes at most), handed out as
``(start, end, records)`` byte offsets. A record longer than ``max_record`` bytes is handed
out alone, to be skipped, and so is one whose keys would cost ijson's ``items`` too much: it
builds a prefix string for every key, the keys of all the levels around it joined, so one long
key with many keys under it costs their product (a 1.5 MB record took 2 CPU-s, 90 times its
``basic_parse``); a record whose prefixes add up to more than 16 bytes a byte of it (plus 64 KiB)
is handed out as ``SLOW``, to be built from the parser's events. A key with an escape in it
(``"Medi\\u0061"``) could be ``Media`` once decoded: from there on no record is found, and the
reader builds every record from the parser's events as before. The scan never decides what is
valid JSON: yajl still reads every byte (the records' through ``items``, the rest through
``basic_parse``, a skipped record's through a parser of its own), and anything the scan
mistakes is a yajl error.

Compiled on first use and cached on disk (``cache=True``, as ``hashing.kernels``); every limit
comes in as an argument."""

from __future__ import annotations

import numpy as np
from numba import njit

# the scan's state between calls (one int64 array)
DEPTH, IN_STR, ESC, MATCH, STR_ESC, LAST_MEDIA, LAST_ESC, KEY_MEDIA = 0, 1, 2, 3, 4, 5, 6, 7
REC_DEPTH, REC_START, REC_BIG, RUN_START, RUN_END, RUN_N, TOKEN_START, GIVEN_UP = 8, 9, 10, 11, 12, 13, 14, 15
ERR, ERR_POS, STR_START, LAST_LEN, COST = 16, 17, 18, 19, 20
STATE_SIZE = 21
NO_ERROR, TOO_DEEP, TOO_LONG = 0, 1, 2
RUN, BIG, SLOW = 0, 1, 2           # kinds of the items handed out
OBJECT, ARRAY, MEDIA_ARRAY = 0, 1, 2
KIND, PREFIX, KEY_PREFIX = 0, 1, 2  # columns of the stack: one row per open container
PREFIX_PER_BYTE, PREFIX_SLACK = 16, 1 << 16     # a record's prefix bytes beyond this make it SLOW


def new_state(max_depth: int) -> tuple[np.ndarray, np.ndarray]:
    state = np.zeros(STATE_SIZE, dtype=np.int64)
    state[REC_DEPTH] = -1
    return state, np.zeros((max_depth + 2, 3), dtype=np.int64)


@njit(cache=True, nogil=True, boundscheck=False)
def _emit(items, n, kind, start, end, count):
    items[n, 0] = kind
    items[n, 1] = start
    items[n, 2] = end
    items[n, 3] = count
    return n + 1


@njit(cache=True, nogil=True, boundscheck=False)
def scan(buf, first, base, state, stack, items, max_depth, max_token, max_record):
    """Scan ``buf[first:]`` (``buf[0]`` is byte ``base`` of the file) on from ``state``; fill
    ``items`` (rows of kind, start, end, records; absolute offsets) and return how many. Stops
    at the first byte over a limit (``state[ERR]``, ``state[ERR_POS]``); an open run is handed
    out when the scan returns, a record still open is left in ``state``. ``items`` must have a
    row for every two bytes scanned, plus two."""
    depth = state[DEPTH]
    in_str = state[IN_STR]
    esc = state[ESC]
    match = state[MATCH]
    str_esc = state[STR_ESC]
    last_media = state[LAST_MEDIA]
    last_esc = state[LAST_ESC]
    key_media = state[KEY_MEDIA]
    rec_depth = state[REC_DEPTH]
    rec_start = state[REC_START]
    rec_big = state[REC_BIG]
    run_start = state[RUN_START]
    run_end = state[RUN_END]
    run_n = state[RUN_N]
    token_start = state[TOKEN_START]
    given_up = state[GIVEN_UP]
    str_start = state[STR_START]
    last_len = state[LAST_LEN]
    cost = state[COST]
    err = NO_ERROR
    err_pos = 0
    n = 0
    size = buf.shape[0]
    i = first
    while i < size:
        c = buf[i]
        if in_str:
            if esc:
                esc = 0
            elif c == 92:                       # backslash
                esc = 1
                str_esc = 1
                match = -1
            elif c == 34:                       # the closing quote
                in_str = 0
                pos = base + i
                if pos - token_start > max_token:
                    err, err_pos = TOO_LONG, pos
                    break
                token_start = pos + 1
                last_len = pos - str_start - 1
                last_media = 1 if match == 5 else 0
                last_esc = str_esc
            elif match >= 0:
                if match < 5 and c == (77, 101, 100, 105, 97)[match]:     # "Media"
                    match += 1
                else:
                    match = -1
            i += 1
            continue
        if c == 32 or c == 10 or c == 13 or c == 9:
            i += 1
            continue
        pos = base + i
        starts = (c == 123 and rec_depth < 0 and not given_up and depth > 0
                  and stack[depth - 1, KIND] == MEDIA_ARRAY)      # a record opens
        if run_n > 0 and rec_depth < 0 and c != 44 and not starts:     # the run of records ends
            n = _emit(items, n, RUN, run_start, run_end, run_n)
            run_n = 0
        if c == 34:                             # a string opens
            in_str = 1
            str_start = pos
            match = 0 if rec_depth < 0 else -1
            str_esc = 0
            key_media = 0
        elif c == 123 or c == 91:               # { [
            if depth + 1 > max_depth:
                err, err_pos = TOO_DEEP, pos
                break
            if pos - token_start > max_token:
                err, err_pos = TOO_LONG, pos
                break
            token_start = pos + 1
            if c == 91:
                stack[depth, KIND] = MEDIA_ARRAY if key_media and rec_depth < 0 else ARRAY
            else:
                stack[depth, KIND] = OBJECT
                if starts:
                    rec_depth = depth + 1
                    rec_start = pos
                    rec_big = 0
                    cost = 0
            if rec_depth >= 0:                  # the prefix ijson's items gives this container ("item" ...)
                if starts:
                    stack[depth, PREFIX] = 4
                elif stack[depth - 1, KIND] == OBJECT:
                    stack[depth, PREFIX] = stack[depth - 1, KEY_PREFIX]
                else:
                    stack[depth, PREFIX] = stack[depth - 1, PREFIX] + 5      # ".item"
                cost += stack[depth, PREFIX]
            depth += 1
            key_media = 0
        elif c == 125 or c == 93:               # } ]
            if pos - token_start > max_token:
                err, err_pos = TOO_LONG, pos
                break
            token_start = pos + 1
            key_media = 0
            if depth == rec_depth:              # a record ends
                end = pos + 1
                big = rec_big or end - rec_start > max_record
                if big or cost > PREFIX_PER_BYTE * (end - rec_start) + PREFIX_SLACK:
                    if run_n > 0:
                        n = _emit(items, n, RUN, run_start, run_end, run_n)
                        run_n = 0
                    n = _emit(items, n, BIG if big else SLOW, rec_start, end, 1)
                else:
                    if run_n == 0:
                        run_start = rec_start
                    run_end = end
                    run_n += 1
                    if end - run_start > max_record:    # runs of at most about max_record bytes
                        n = _emit(items, n, RUN, run_start, run_end, run_n)
                        run_n = 0
                rec_depth = -1
            if depth > 0:                       # (a stray close: yajl refuses it)
                depth -= 1
        elif c == 44 or c == 58:                # , :
            if pos - token_start > max_token:
                err, err_pos = TOO_LONG, pos
                break
            token_start = pos + 1
            key_media = 0
            if c == 58 and rec_depth < 0:
                if last_esc:
                    given_up = 1                # a key that may be "Media" once decoded
                key_media = last_media
            elif c == 58 and depth > 0:         # a key in a record: the prefix ijson builds for it
                stack[depth - 1, KEY_PREFIX] = stack[depth - 1, PREFIX] + 1 + last_len
                cost += stack[depth - 1, KEY_PREFIX]
            last_media = 0
        else:                                   # a number or a literal goes on
            key_media = 0
        i += 1
    if err == NO_ERROR and base + size - token_start > max_token:
        err, err_pos = TOO_LONG, base + size
    if run_n > 0:
        n = _emit(items, n, RUN, run_start, run_end, run_n)
        run_n = 0
    if err == NO_ERROR and rec_depth >= 0 and not rec_big and base + size - rec_start > max_record:
        rec_big = 1                             # an open record already over the cap: not held
    state[DEPTH] = depth
    state[IN_STR] = in_str
    state[ESC] = esc
    state[MATCH] = match
    state[STR_ESC] = str_esc
    state[LAST_MEDIA] = last_media
    state[LAST_ESC] = last_esc
    state[KEY_MEDIA] = key_media
    state[REC_DEPTH] = rec_depth
    state[REC_START] = rec_start
    state[REC_BIG] = rec_big
    state[RUN_START] = run_start
    state[RUN_END] = run_end
    state[RUN_N] = run_n
    state[TOKEN_START] = token_start
    state[GIVEN_UP] = given_up
    state[ERR] = err
    state[ERR_POS] = err_pos
    state[STR_START] = str_start
    state[LAST_LEN] = last_len
    state[COST] = cost
    return n
