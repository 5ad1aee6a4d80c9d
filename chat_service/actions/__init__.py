"""Every write, named by verb (zulip style).

`access_*` fetches and authorises in one step; `check_*` validates and applies limits,
then calls `do_*`, which writes and, only after the store acknowledged, publishes.
"""
