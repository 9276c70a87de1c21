import threading
import time

from orchestrator.run.scheduler import walk

DAG = {"network": set(), "alb": {"network"}, "ecs": {"alb"}, "vpc_link": {"alb"}, "api": {"vpc_link"}}


def test_failure_skips_descendants_and_lets_other_branches_finish():
    ran, skipped = [], {}

    def run(name):
        ran.append(name)
        return name != "vpc_link"

    walk(DAG, run, skipped.__setitem__, 2, list(DAG))
    assert set(ran) == {"network", "alb", "ecs", "vpc_link"}
    assert skipped == {"api": "vpc_link did not succeed"}


def test_independent_nodes_run_in_parallel():
    active, peak, lock = [0], [0], threading.Lock()

    def run(name):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return True

    walk({n: set() for n in "abcd"}, run, lambda *_: None, 3, list("abcd"))
    assert peak[0] == 3


def test_stop_skips_what_has_not_started():
    stop = threading.Event()
    skipped = {}

    def run(name):
        stop.set()
        return True

    walk(DAG, run, skipped.__setitem__, 1, list(DAG), stop)
    assert skipped["alb"] == "interrupted before it started"
    assert set(skipped) == {"alb", "ecs", "vpc_link", "api"}
