#define _GNU_SOURCE /* secure_getenv */
#include "state.h"

#include "linger.h"
#include "log.h"
#include "real.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) struct notw_policy notw_active_policy;

static pthread_once_t ready_once = PTHREAD_ONCE_INIT;
static bool ready;
static __thread bool initialising_here __attribute__((tls_model("initial-exec")));

static const char *lookup_env(const char *name)
{
	return getenv(name);
}

static void report_diagnostics(const struct notw_diag *diags, int n)
{
	for (int i = 0; i < n; i++)
		notw_log(NOTW_LEVEL_ERROR, "%s=%q: %s; using the default", diags[i].name,
			 diags[i].value, diags[i].reason);
}

/* A sink that cannot be opened is said once on stderr; the log keeps
 * trying it, so a syslog daemon that starts later is still reached. */
static void report_sink_failure(const struct notw_policy *p)
{
	int err = notw_log_probe_sink();
	if (err == 0)
		return;
	if (p->log_sink == NOTW_SINK_FILE)
		notw_log_error_to_stderr("NOTW_LOG=file:%s: cannot open the log file: %E", p->log_path, err);
	else
		notw_log_error_to_stderr("NOTW_LOG=syslog: cannot reach /dev/log: %E", err);
}

static long own_pid;

static void after_fork_in_parent(void)
{
	notw_linger_atfork_parent();
}

static void after_fork_in_child(void)
{
	__atomic_store_n(&own_pid, (long)syscall(SYS_getpid), __ATOMIC_RELAXED);
	notw_log_atfork_child();
	notw_linger_atfork_child();
}

static void load_policy(void)
{
	struct notw_policy *p = &notw_active_policy;
	struct notw_diag diags[NOTW_DIAG_MAX];
	int n = 0;
	/* A set-id or file-capability program runs with an environment its
	 * caller chose: none of it may steer the library. */
	bool secure = getauxval(AT_SECURE) != 0;

	notw_policy_defaults(p);
	if (!secure)
		n = notw_policy_apply_env(p, lookup_env, diags, NOTW_DIAG_MAX);
	notw_log_configure(p->log_sink, p->log_path, p->log_level);
	report_sink_failure(p);
	report_diagnostics(diags, n);
	if (secure)
		notw_log(NOTW_LEVEL_DEBUG, "secure-execution mode: the NOTW_* environment is ignored");
	notw_log(NOTW_LEVEL_DEBUG, "ready: reuseaddr=%s linger=%s ports=%s", p->reuseaddr ? "on" : "off",
		 notw_linger_name(p->linger), p->all_ports ? "all" : "list");
}

static void make_ready(void)
{
	int saved_errno = errno;
	pthread_atfork(NULL, after_fork_in_parent, after_fork_in_child);
	notw_real_bind();
	own_pid = (long)syscall(SYS_getpid);
	load_policy();
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	errno = saved_errno;
}

/* As in notw_real_bind(): the flag goes up before pthread_once(). */
bool notw_ensure_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 1))
		return true;
	if (initialising_here)
		return false;
	initialising_here = true;
	pthread_once(&ready_once, make_ready);
	initialising_here = false;
	return true;
}

/* A vfork() child shares the parent's memory (the table, the log state) but
 * not its descriptors: it must leave the parent's state alone. fork()
 * children update own_pid in the atfork handler. */
bool notw_in_vfork_child(void)
{
	long pid = __atomic_load_n(&own_pid, __ATOMIC_RELAXED);
	return pid != 0 && (long)syscall(SYS_getpid) != pid;
}

/* A hook may run earlier than this, from another library's constructor:
 * notw_ensure_ready() covers that; this covers programs that make no
 * socket call at all, so that a bad setting is still reported. */
__attribute__((constructor)) static void notw_constructor(void)
{
	notw_ensure_ready();
}
