#!/usr/bin/env python3
"""Explicit-state model check of zero linger across processes.

The protocol is written in shim/linger-protocol.md; this is its model. One
TCP connection S, the processes that hold it (a server P with two threads, the
children it forks, what they exec) and the library's steps in each of them,
each step atomic (one system call or one memory operation). Every
interleaving of every process, thread, signal handler (_exit at any step),
crash (SIGKILL at any step), late destructor and peer acknowledgement is
explored breadth first within small budgets of program actions.

Two sets of rules are modelled: "legacy", the rules as they were before the
protocol (shim/linger.c at 8a2b917: a close defers to a child that holds a
connection nothing was written on, a child's exit defers to its parent, the
close forgets before it disarms, the exit walk leaves the table armed), and
"protocol", the rules the library follows now. What is checked, at every
state:

  V1  the last descriptor of S goes away by a graceful close, exec or normal
      exit while S is armed: the peer gets a reset where the program closed
      gracefully;
  V2  a crash resets S while it carries data written by a process that had
      already closed it or exited gracefully: that data is lost;
  INV (protocol only) while S is armed, every process holding it runs the
      library and has S in its table as armed: a holder that will disarm
      before any graceful close of its own.

The legacy rules must show each of the four defects of the issue that asked
for this protocol (one configuration each); the protocol must hold in all of
them and in the larger configurations. Exit status 0 when every expectation
is met; the counterexample traces are printed.

  linger_model.py [--verbose] [CONFIG...]
"""
import sys
from collections import deque, namedtuple

# ---------------------------------------------------------------- the state

# One table entry of a process's library for a descriptor of S.
Entry = namedtuple("Entry", "fd armed closing birth")
# A thread: the steps it still has to run (a tuple of tuples), whether it
# is inside an arming section, and whether a signal handler runs on it.
Thread = namedtuple("Thread", "pending in_arm")
# A process. lib: it runs the library (False once it exec'd a program
# without it). started/in_flight: its fork counters; arming: threads inside
# an arming section; stopped: exit, exec or the safety net began (nothing
# is armed from then on). fork_gen: the parent's fork count this
# process was made in (legacy children are asked by kcmp only when forked
# after a socket's birth). budget: program actions left.
Proc = namedtuple(
    "Proc",
    "pid parent lib alive started in_flight arming stopped table fds threads buf budget fork_gen",
)
# The whole state. armed: SO_LINGER{1,0} on S in the kernel. unacked: pids
# whose written bytes the peer has not acknowledged; gone: pids that let go
# of S gracefully while their bytes were unacknowledged; written: anything
# was ever written on S. closed: None while S exists, else how it ended.
State = namedtuple("State", "procs armed unacked gone written closed signals crashes")


def replace_proc(state, i, **kw):
    procs = list(state.procs)
    procs[i] = procs[i]._replace(**kw)
    return state._replace(procs=tuple(procs))


def replace_thread(state, i, t, **kw):
    p = state.procs[i]
    threads = list(p.threads)
    threads[t] = threads[t]._replace(**kw)
    return replace_proc(state, i, threads=tuple(threads))


def entry_of(proc, fd):
    for e in proc.table:
        if e.fd == fd:
            return e
    return None


def set_entry(state, i, fd, entry):
    """Replace (or with entry None, remove) the table entry of fd."""
    p = state.procs[i]
    table = tuple(e for e in p.table if e.fd != fd)
    if entry is not None:
        table = tuple(sorted(table + (entry,)))
    return replace_proc(state, i, table=table)


def holders(state):
    return [p for p in state.procs if p.alive and p.fds]


# ------------------------------------------------------------ the kernel


def drop_fd(state, i, fd, graceful):
    """The kernel closes descriptor fd of S in process i."""
    p = state.procs[i]
    fds = tuple(f for f in p.fds if f != fd)
    state = replace_proc(state, i, fds=fds)
    if not fds and graceful and p.pid in state.unacked:
        state = state._replace(gone=state.gone | {p.pid})
    return last_close(state, graceful)


def last_close(state, graceful):
    if state.closed is not None or holders(state):
        return state
    if not state.armed:
        return state._replace(closed="fin")
    if graceful:
        return state._replace(closed="V1")
    if state.unacked & state.gone:
        return state._replace(closed="V2")
    return state._replace(closed="reset by a crash")


def drop_all(state, i, graceful):
    for fd in state.procs[i].fds:
        state = drop_fd(state, i, fd, graceful)
    return state


def kill(state, i, graceful):
    """The process ends: its descriptors go, its threads stop."""
    state = drop_all(state, i, graceful)
    p = state.procs[i]
    return replace_proc(state, i, alive=False, threads=tuple(Thread((), False) for _ in p.threads))


def flush(state, i):
    """stdio writes what its buffer holds onto S."""
    p = state.procs[i]
    if not p.buf or not p.fds:
        return replace_proc(state, i, buf=False)
    state = replace_proc(state, i, buf=False)
    return state._replace(unacked=state.unacked | {p.pid}, written=True)


def fork(state, i, t, rules):
    """The fork system call: the child is a copy, with the forking thread.
    That thread goes on in the child with what it was doing when a signal
    handler forked (the steps after the fork's own parent-side ones), its
    arming section uncounted there (armgate.c: the child's count is 0)."""
    p = state.procs[i]
    pid = max(q.pid for q in state.procs) + 1
    rest = tuple(st for st in p.threads[t].pending if st[0] != "N_parent_done")
    if any(st[0] == "k_accept" for st in rest):
        rest = ()  # the child's accept is of another connection than S
    child = p._replace(
        pid=pid,
        parent=p.pid,
        threads=(Thread(rest, False),),
        buf=False,
        budget=CHILD_BUDGET,
        fork_gen=p.started,
        # the child's handler: no fork or arming of its own is under way
        in_flight=0,
        arming=0,
    )
    return state._replace(procs=state.procs + (child,))


# ------------------------------------------------------------- the rules
# Each program action becomes a list of steps; run_step() runs one step of
# one thread. A step returns the list of successor states (more than one
# where the program or the kernel may do either).


def is_child_of(q, p):
    return q.alive and q.parent == p.pid


def other_local_holder(p, fd):
    """Another descriptor of this process refers to S, is open and is not
    itself being closed (holders.c: listed, fstat agrees, not closing)."""
    return any(e.fd != fd and not e.closing and e.fd in p.fds for e in p.table)


class Legacy:
    """The rules at 8a2b917."""

    name = "legacy"

    def accept(self):
        return [("k_accept",), ("L_arm",), ("L_store",), ("L_recheck",)]

    def close(self, fd):
        return [("L_forget", fd), ("k_close", fd)]

    def fclose(self, fd):
        # the hook decides, then libc's fclose() writes the buffer out
        return [("L_forget", fd), ("flush",), ("k_close", fd)]

    def exit(self):
        return [("L_walk",), ("late",), ("flush",), ("k_exit",)]

    def signal_exit(self):
        return [("L_walk",), ("k_exit",)]

    def fork(self):
        return [("L_prepare",), ("k_fork",)]

    def setsockopt(self):
        return [("k_setsockopt",), ("L_program_set",)]

    def exec(self, keep):
        return [("L_exec_walk", keep), ("k_exec", keep)]

    def run(self, state, i, t, step):
        p = state.procs[i]
        op = step[0]
        if op == "L_arm":
            return [replace_thread(state, i, t, in_arm=not p.stopped)._replace(
                armed=state.armed or not p.stopped)]
        if op == "L_store":
            armed = p.threads[t].in_arm
            state = replace_thread(state, i, t, in_arm=False)
            return [set_entry(state, i, 3, Entry(3, armed, False, p.started))]
        if op == "L_recheck":
            e = entry_of(p, 3)
            if e is not None and e.armed and p.stopped:
                state = set_entry(state, i, 3, e._replace(armed=False))
                state = state._replace(armed=False)
            return [state]
        if op == "L_forget":
            # the table forgets fd first; the decision is the next step,
            # made from the flags read before
            fd = step[1]
            e = entry_of(p, fd)
            state = set_entry(state, i, fd, None)
            return [replace_thread(state, i, t, pending=(("L_decide", fd, e),) + p.threads[t].pending)]
        if op == "L_decide":
            fd, e = step[1], step[2]
            if e is None or not e.armed or other_local_holder(p, fd):
                return [state]
            if p.started != e.birth:
                # kcmp: a child forked since the socket's birth holds it,
                # and TCP_INFO says nothing was written on it
                for q in state.procs:
                    if is_child_of(q, p) and q.fork_gen > e.birth and q.fds and not state.written:
                        return [state]
            return [state._replace(armed=False)]
        if op == "L_walk":
            state = replace_proc(state, i, stopped=True)
            if any(e.armed for e in p.table):
                parent = [q for q in state.procs if q.pid == p.parent and q.alive and q.fds]
                # disarm_for_exit: a parent that holds it with nothing
                # unacknowledged keeps it armed; the table stays armed
                if not (parent and not state.unacked):
                    state = state._replace(armed=False)
            return [state]
        if op == "L_program_set":
            if any(e.armed for e in p.table):
                return [state._replace(armed=True)]
            return [state]
        if op == "L_prepare":
            return [replace_proc(state, i, started=p.started + 1)]
        if op == "L_exec_walk":
            keep = step[1]
            if any(e.armed for e in p.table):
                child_holds = any(
                    is_child_of(q, p) and q.fds and q.fork_gen > e.birth for q in state.procs for e in p.table)
                if keep or not (child_holds and not state.written):
                    state = state._replace(armed=False)
            return [state]
        raise KeyError(op)


class Protocol:
    """The rules of shim/linger-protocol.md."""

    name = "protocol"

    def accept(self):
        # notw_armgate_birth(): two loads, started then in_flight
        return [("N_birth_started",), ("N_birth_flight",), ("k_accept",), ("N_store",)] + list(
            self.arming_section(3))

    def arming_section(self, fd):
        """The code's order: count this thread in (a locked increment),
        then check; fork, exit, exec and close publish first, then wait
        for the count: one of the two sees the other."""
        return (("N_arm_in",), ("N_arm_check", fd), ("N_arm",), ("N_arm_recheck", fd), ("N_arm_end",))

    def close(self, fd):
        return [("N_mark", fd), ("N_wait",), ("N_decide", fd), ("N_forget", fd), ("k_close", fd)]

    def fclose(self, fd):
        return [("N_mark", fd), ("N_wait",), ("N_decide", fd), ("N_forget", fd), ("flush",), ("k_close", fd)]

    def exit(self):
        return [("N_stop",), ("N_wait",), ("N_walk",), ("late",), ("flush",), ("k_exit",)]

    def signal_exit(self):
        return [("N_stop",), ("N_wait",), ("N_walk",), ("k_exit",)]

    def fork(self):
        # notw_armgate_fork_begin(): two locked increments, in_flight
        # then started, then the wait
        return [("N_in_flight_up",), ("N_started_up",), ("N_wait",), ("k_fork",), ("N_parent_done",)]

    def setsockopt(self):
        return [("k_setsockopt",), ("N_program_set",)]

    def exec(self, keep):
        return [("N_stop",), ("N_wait",), ("N_walk",), ("k_exec", keep)]

    # notw_armgate_leave() takes nothing off the count for a section this
    # thread's count does not hold
    leave_checks_own = True

    def armable(self, p, e):
        return e is not None and e.armed and not e.closing and not p.stopped and p.started == e.birth

    def run(self, state, i, t, step):
        p = state.procs[i]
        op = step[0]
        if op == "N_birth_started":
            # read before the accept system call: a fork begun later moves
            # started away from it ...
            rest = p.threads[t].pending  # (N_birth_flight, k_accept, N_store, ...)
            return [replace_thread(state, i, t, pending=(("N_birth_flight", p.started),) + rest[1:])]
        if op == "N_birth_flight":
            # ... and one under way now (in_flight) gives a birth started
            # has left behind
            birth = step[1] if p.in_flight == 0 else step[1] - 1
            rest = p.threads[t].pending  # (k_accept, N_store, ...)
            return [replace_thread(state, i, t, pending=rest[:1] + (("N_store", birth),) + rest[2:])]
        if op == "N_store":
            return [set_entry(state, i, 3, Entry(3, True, False, step[1]))]
        if op == "N_arm_in":
            state = replace_proc(state, i, arming=p.arming + 1)
            return [replace_thread(state, i, t, in_arm=True)]
        if op == "N_arm_check":
            e = entry_of(p, step[1])
            if self.armable(p, e):
                return [state]
            if e is not None and e.armed and not e.closing:
                state = set_entry(state, i, e.fd, e._replace(armed=False))
            if p.threads[t].in_arm or not self.leave_checks_own:
                state = replace_proc(state, i, arming=p.arming - 1)
            return [replace_thread(state, i, t, in_arm=False, pending=p.threads[t].pending[3:])]
        if op == "N_arm":
            return [state._replace(armed=True)]
        if op == "N_arm_recheck":
            # A.5: stopped since the check (a walk that gave up waiting may
            # be past), or forked since (a signal handler on this thread
            # forked inside the section: no wait covered it, and the child
            # may have walked already): the arm comes off again
            e = entry_of(p, step[1])
            if not p.stopped and (e is None or p.started == e.birth):
                return [state]
            if e is not None and e.armed:
                state = set_entry(state, i, e.fd, e._replace(armed=False))
            return [state._replace(armed=False)]
        if op == "N_arm_end":
            # a section the count does not hold (begun before a fork, in
            # the child) is left without a count
            if p.threads[t].in_arm or not self.leave_checks_own:
                state = replace_proc(state, i, arming=p.arming - 1)
            return [replace_thread(state, i, t, in_arm=False)]
        if op == "N_mark":
            e = entry_of(p, step[1])
            if e is None:
                return [state]
            return [set_entry(state, i, step[1], e._replace(closing=True))]
        if op == "N_decide":
            e = entry_of(p, step[1])
            if e is None or not e.armed or other_local_holder(p, step[1]):
                return [state]
            # the disarm, a system call of its own
            pending = p.threads[t].pending
            return [replace_thread(state, i, t, pending=(("N_disarm",),) + pending)]
        if op == "N_disarm":
            return [state._replace(armed=False)]
        if op == "N_forget":
            return [set_entry(state, i, step[1], None)]
        if op == "N_stop":
            return [replace_proc(state, i, stopped=True)]
        if op == "N_wait":
            # exit, exec, fork and a close wait for the other threads'
            # arming sections (bounded in the code; here until they are done)
            others = p.arming - (1 if p.threads[t].in_arm else 0)
            return [state] if others == 0 else []
        if op == "N_walk":
            if any(e.armed for e in p.table):
                state = state._replace(armed=False)
            return [state]
        if op == "N_program_set":
            # the program's SO_LINGER replaced zero linger; put back only
            # when armable (no fork since birth, nothing stopped)
            e = next((e for e in p.table if e.armed), None)
            if e is None:
                return [state]
            return [replace_thread(state, i, t, pending=self.arming_section(e.fd) + p.threads[t].pending)]
        if op == "N_in_flight_up":
            return [replace_proc(state, i, in_flight=p.in_flight + 1)]
        if op == "N_started_up":
            return [replace_proc(state, i, started=p.started + 1)]
        if op == "N_parent_done":
            return [replace_proc(state, i, in_flight=p.in_flight - 1)]
        raise KeyError(op)


class WithoutForkWait(Protocol):
    """The protocol less one rule: fork does not wait for arming sections."""

    name = "protocol-without-fork-wait"

    def fork(self):
        return [("N_in_flight_up",), ("N_started_up",), ("k_fork",), ("N_parent_done",)]


class StartedBeforeInFlight(Protocol):
    """The protocol with the fork's two increments the other way round
    (started, then in_flight): a birth read between them takes the new
    started and sees no fork under way, and the fork then copies the
    connection before the table says it is armed."""

    name = "protocol-started-before-in-flight"

    def fork(self):
        return [("N_started_up",), ("N_in_flight_up",), ("N_wait",), ("k_fork",), ("N_parent_done",)]


class ChildLeavesUncounted(Protocol):
    """The protocol with the gate as it was: a section a signal handler's
    fork interrupted is left in the child by a decrement of a count that is
    0 there."""

    name = "protocol-child-leaves-uncounted"
    leave_checks_own = False


class WithoutBirthBeforeAccept(Protocol):
    """The protocol less one rule: the birth generation is read after the
    accept system call, not before it."""

    name = "protocol-birth-after-accept"

    def accept(self):
        return [("k_accept",), ("N_birth",), ("N_store",)] + list(self.arming_section(3))

    def run(self, state, i, t, step):
        if step[0] == "N_birth":
            p = state.procs[i]
            birth = p.started if p.in_flight == 0 else p.started - 1
            rest = p.threads[t].pending  # (N_store, ...)
            return [replace_thread(state, i, t, pending=(("N_store", birth),) + rest[1:])]
        return Protocol.run(self, state, i, t, step)


def run_kernel_step(rules, state, i, t, step):
    """Steps that are the kernel's or the program's, the same in both
    rule sets. None when the step is the library's."""
    p = state.procs[i]
    op = step[0]
    if op == "k_accept":
        return [replace_proc(state, i, fds=(3,))]
    if op == "k_close":
        return [drop_fd(state, i, step[1], True)]
    if op == "k_exit":
        return [kill(state, i, True)]
    if op == "flush":
        return [flush(state, i)]
    if op == "k_fork":
        return [fork(state, i, t, rules)]
    if op == "k_setsockopt":
        # the program's own SO_LINGER{1,5}: no longer zero linger
        return [state._replace(armed=False)]
    if op == "late":
        # a later destructor may set SO_LINGER itself
        if not p.fds:
            return [state]
        later = replace_thread(state, i, t, pending=tuple(rules.setsockopt()) + p.threads[t].pending)
        return [state, later]
    if op == "k_exec":
        keep = step[1]
        if not keep:
            state = drop_all(state, i, True)
        return [replace_proc(state, i, lib=False, table=(), threads=(Thread((), False),), budget=1)]
    return None


# ------------------------------------------------------------- actions

CHILD_BUDGET = 2


def program_actions(config, state, i, t, rules):
    """What thread t of process i may start now: (label, steps)."""
    p = state.procs[i]
    if not p.alive or p.threads[t].pending or p.budget <= 0:
        return []
    role = "P" if i == 0 and t == 0 else ("P1" if i == 0 else "K")
    allowed = config["actions"].get(role, ())
    acts = []
    if not p.lib:
        # a program without the library: closes and exits are the kernel's
        for fd in p.fds:
            acts.append(("close fd%d (no library)" % fd, [("k_close", fd)]))
        acts.append(("exit (no library)", [("k_exit",)]))
        return acts
    if p.stopped:
        return []
    if "accept" in allowed and not p.fds and not p.table and i == 0:
        acts.append(("accept", rules.accept()))
    if p.fds:
        for fd in p.fds:
            if "close" in allowed and entry_of(p, fd) is not None and not entry_of(p, fd).closing:
                acts.append(("close fd%d" % fd, rules.close(fd)))
            if "fclose" in allowed and entry_of(p, fd) is not None and not entry_of(p, fd).closing:
                acts.append(("fclose fd%d" % fd, rules.fclose(fd)))
        if "write" in allowed:
            acts.append(("write", [("write",)]))
        if "stdio" in allowed and not p.buf:
            acts.append(("fprintf (buffered)", [("stdio",)]))
        if "dup" in allowed and len(p.fds) == 1 and entry_of(p, p.fds[0]) is not None:
            acts.append(("dup", [("dup",)]))
        if "setsockopt" in allowed:
            acts.append(("setsockopt SO_LINGER{1,5}", rules.setsockopt()))
        if "exec" in allowed:
            acts.append(("exec (connection close-on-exec)", rules.exec(False)))
            acts.append(("exec (connection survives)", rules.exec(True)))
    if "fork" in allowed and len(state.procs) < config.get("max_procs", 2):
        acts.append(("fork", rules.fork()))
    if "exit" in allowed:
        acts.append(("exit()", rules.exit()))
    return acts


def successors(config, rules, state):
    """(label, state) for every move from state."""
    out = []
    if state.closed is not None:
        return out
    for i, p in enumerate(state.procs):
        if not p.alive:
            continue
        for t, th in enumerate(p.threads):
            if th.pending:
                step, rest = th.pending[0], th.pending[1:]
                s1 = replace_thread(state, i, t, pending=rest)
                if step[0] == "write":
                    res = [s1._replace(unacked=s1.unacked | {p.pid}, written=True)]
                elif step[0] == "stdio":
                    res = [replace_proc(s1, i, buf=True)]
                elif step[0] == "dup":
                    e = entry_of(p, p.fds[0]) if p.fds else None
                    s2 = replace_proc(s1, i, fds=p.fds + (4,)) if p.fds else s1
                    res = [set_entry(s2, i, 4, e._replace(fd=4)) if e is not None else s2]
                else:
                    res = run_kernel_step(rules, s1, i, t, step)
                    if res is None:
                        res = rules.run(s1, i, t, step)
                for r in res:
                    out.append(("%s.%d %s" % (pname(p), t, fmt_step(step)), r))
            else:
                for label, steps in program_actions(config, state, i, t, rules):
                    s1 = replace_thread(state, i, t, pending=tuple(steps))
                    s1 = replace_proc(s1, i, budget=p.budget - 1)
                    out.append(("%s.%d program: %s" % (pname(p), t, label), s1))
            # a signal whose handler calls _exit(), on this thread, now
            if (config.get("signals") and state.signals > 0 and p.lib and i in config.get("signal_procs", (0,))
                    and not (th.pending and th.pending[-1][0] == "k_exit")):
                s1 = state._replace(signals=state.signals - 1)
                s1 = replace_thread(s1, i, t, pending=tuple(rules.signal_exit()))
                out.append(("%s.%d SIGNAL: handler calls _exit()" % (pname(p), t), s1))
            # a signal whose handler forks, on this thread, now: the
            # interrupted steps go on after it, in the parent and the child
            if (config.get("signal_forks") and state.signals > 0 and p.lib and th.pending
                    and i in config.get("signal_procs", (0,)) and len(state.procs) < config.get("max_procs", 2)):
                s1 = state._replace(signals=state.signals - 1)
                s1 = replace_thread(s1, i, t, pending=tuple(rules.fork()) + th.pending)
                out.append(("%s.%d SIGNAL: handler calls fork()" % (pname(p), t), s1))
        if state.crashes > 0 and i in config.get("crash_procs", ()):
            out.append(("%s SIGKILL" % pname(p), kill(state._replace(crashes=state.crashes - 1), i, False)))
    if state.unacked and config.get("acks", True):
        out.append(("peer acknowledges everything", state._replace(unacked=frozenset())))
    return out


def pname(p):
    return "P" if p.parent == 0 else "K%d" % p.pid


def fmt_step(step):
    return step[0] + ("(" + ",".join(str(a) for a in step[1:]) + ")" if len(step) > 1 else "")


def initial(config):
    p = Proc(
        pid=1,
        parent=0,
        lib=True,
        alive=True,
        started=0,
        in_flight=0,
        arming=0,
        stopped=False,
        table=(),
        fds=(),
        threads=tuple(Thread((), False) for _ in range(2 if "P1" in config["actions"] else 1)),
        buf=False,
        budget=config.get("budget", 4),
        fork_gen=0,
    )
    return State(
        procs=(p,),
        armed=False,
        unacked=frozenset(),
        gone=frozenset(),
        written=False,
        closed=None,
        signals=1 if config.get("signals") else 0,
        crashes=1 if config.get("crash_procs") else 0,
    )


def violation(rules, state):
    if state.closed in ("V1", "V2"):
        return state.closed
    if isinstance(rules, Protocol):
        for p in state.procs:
            # COUNT: the gate's count of arming sections is not the threads
            # inside one (every later wait of the process would wait for a
            # section that is not there, or miss one that is)
            if p.alive and p.lib and p.arming != sum(1 for th in p.threads if th.in_arm):
                return "COUNT"
    if isinstance(rules, Protocol) and state.armed and state.closed is None:
        for p in state.procs:
            if p.alive and p.fds and not (p.lib and any(e.armed for e in p.table)):
                return "INV"
    return None


def explore(config, rules, limit=2_000_000):
    """Breadth first over every reachable state. Returns (states seen,
    {violation kind: shortest trace})."""
    start = initial(config)
    parent = {start: None}
    queue = deque([start])
    found = {}
    while queue:
        s = queue.popleft()
        v = violation(rules, s)
        if v is not None:
            if v not in found:
                found[v] = trace(parent, s)
            continue
        for label, n in successors(config, rules, s):
            if n not in parent:
                parent[n] = (s, label)
                queue.append(n)
                if len(parent) > limit:
                    raise RuntimeError("state space over %d" % limit)
    return len(parent), found


def trace(parent, s):
    steps = []
    while parent[s] is not None:
        s, label = parent[s]
        steps.append(label)
    return list(reversed(steps))


# ---------------------------------------------------------- configurations
# actions: what each role's program may do. P: the server's main thread
# (it accepts S first), P1: a second thread of the server, K: a forked child.

CONFIGS = {
    # issue defect 1: a fork-per-connection server answers through stdio
    # and fclose()s; a helper child is killed later
    "fclose-flush": dict(actions={"P": ("accept", "fork", "stdio", "fclose"), "K": ()},
                         crash_procs=(1,), max_procs=2, budget=4),
    # defect 2: SO_LINGER set by a destructor that runs after the library's
    "late-destructor": dict(actions={"P": ("accept", "exit")}, budget=2),
    # defect 3: a signal handler's _exit() inside close()
    "signal-in-close": dict(actions={"P": ("accept", "close")}, signals=True, budget=2),
    # defect 4: the parent's close and the child's exit leave it to each other
    "close-and-child-exit": dict(actions={"P": ("accept", "fork", "close"), "K": ("exit",)},
                                 max_procs=2, budget=3, acks=False),
    # the races the protocol adds rules for: a fork or an exit on a second
    # thread while the first accepts, arms, closes or sets SO_LINGER
    "threads-fork-exit": dict(actions={"P": ("accept", "close", "setsockopt"), "P1": ("fork", "exit"),
                                       "K": ("close", "exit", "setsockopt")},
                              crash_procs=(0, 1), max_procs=2, budget=3),
    "dup-two-threads": dict(actions={"P": ("accept", "dup", "close"), "P1": ("close", "exit")},
                            signals=True, budget=3),
    "exec": dict(actions={"P": ("accept", "fork", "exec", "write"), "K": ("exec", "close", "write")},
                 crash_procs=(0, 1), max_procs=2, budget=3),
    "three-processes": dict(actions={"P": ("accept", "fork", "close", "exit"),
                                     "K": ("fork", "close", "exit")},
                            crash_procs=(0, 1, 2), max_procs=3, budget=3, acks=False),
    # a signal handler that forks while its thread arms (or closes, or
    # forks); the child goes on where the handler interrupted it
    "signal-fork": dict(actions={"P": ("accept", "close", "setsockopt"), "K": ("close", "exit")},
                        signals=True, signal_forks=True, max_procs=2, budget=3),
    "everything": dict(actions={"P": ("accept", "fork", "close", "fclose", "stdio", "write", "setsockopt",
                                      "exit", "dup"),
                                "K": ("close", "fclose", "stdio", "write", "setsockopt", "exit", "fork")},
                       crash_procs=(0, 1), signals=True, signal_procs=(0, 1), max_procs=2, budget=3),
}

# What the legacy rules must show (the four defects); the protocol must show
# nothing anywhere; each rule of the protocol taken away must show something
# (the checker can fail, and the rule is needed).
LEGACY_EXPECTED = {
    "fclose-flush": "V2",
    "late-destructor": "V1",
    "signal-in-close": "V1",
    "close-and-child-exit": "V1",
}


# Where the protocol is known to fall short, and what it shows there (the
# limits shim/linger-protocol.md names): a signal handler that forks inside
# an arming section, after its check, is waited for by nobody; each process
# takes its arm off again at its second look (A.5), and S is armed with a
# holder whose table says otherwise in between (INV; a crash there, V1).
PROTOCOL_LIMITS = {
    "signal-fork": "INV",
}

MUTANTS_EXPECTED = {
    "threads-fork-exit": (WithoutForkWait(), WithoutBirthBeforeAccept(), StartedBeforeInFlight()),
    "signal-fork": (ChildLeavesUncounted(),),
}


def limit_window_only(steps):
    """The counterexample ends with an arm that a handler's fork came
    between, before that thread's second look."""
    return bool(steps) and steps[-1].endswith("N_arm") and any("handler calls fork()" in st for st in steps)


def main(argv):
    verbose = "--verbose" in argv
    names = [a for a in argv if not a.startswith("--")] or list(CONFIGS)
    failed = 0
    passed = 0
    for name in names:
        config = CONFIGS[name]
        for rules in (Legacy(), Protocol()):
            if isinstance(rules, Legacy) and name not in LEGACY_EXPECTED:
                continue
            n, found = explore(config, rules)
            if isinstance(rules, Legacy):
                want = LEGACY_EXPECTED[name]
                ok = want in found
                what = "finds %s" % want if ok else "did not find %s (found: %s)" % (want, sorted(found) or "none")
            elif name in PROTOCOL_LIMITS:
                want = PROTOCOL_LIMITS[name]
                ok = sorted(found) == [want] and limit_window_only(found[want])
                what = ("shows %s only between an arm and its second look (a known limit)" % want if ok
                        else "VIOLATED: %s" % ", ".join(sorted(found)))
            else:
                ok = not found
                what = "holds" if ok else "VIOLATED: %s" % ", ".join(sorted(found))
            print("%s - %s/%s: %s (%d states)" % ("ok" if ok else "not ok", name, rules.name, what, n))
            if found and (verbose or not ok or isinstance(rules, Legacy)):
                for kind, steps in sorted(found.items()):
                    print("#   %s:" % kind)
                    for label in steps:
                        print("#     " + label)
            passed += ok
            failed += not ok
        for mutant in MUTANTS_EXPECTED.get(name, ()):
            n, found = explore(config, mutant)
            ok = bool(found)
            print("%s - %s/%s: %s (%d states)" % ("ok" if ok else "not ok", name, mutant.name,
                                                "finds %s" % ", ".join(sorted(found)) if ok else "found nothing", n))
            passed += ok
            failed += not ok
    # TAP (meson's protocol 'tap'): the plan last; the lines carry the verdict.
    print("# %d passed, %d failed" % (passed, failed))
    print("1..%d" % (passed + failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
