/* The two hooks that cannot be written in C on x86-64.
 *
 * syscall(): glibc's syscall() function is how some programs close
 * descriptors (libuv closes with syscall(SYS_close, fd)). A call whose
 * number the library does not watch must cost next to nothing and keep
 * every register and the stack as the caller left them, so it is one
 * bounds check, one bit test and a jump to the next definition; a watched
 * number goes to notw_syscall_intercept() (hooks_syscall.c), which takes
 * the same registers as its arguments.
 *
 * vfork(): the child runs on the parent's stack until exec or exit, so no
 * C frame may stand between the system call and the caller. The return
 * address is kept in a register across the call, as glibc does. */

	.text

	.globl	syscall
	.type	syscall, @function
	.p2align 4
syscall:
	cmpq	$NOTW_SYSCALL_WATCH_BITS, %rdi
	jae	1f
	btq	%rdi, notw_syscall_watched(%rip)
	jc	notw_syscall_intercept
1:	jmp	*notw_syscall_next(%rip)
	.size	syscall, .-syscall

/* The system call itself, in syscall()'s calling convention: what
 * notw_syscall_next points to until the next definition is bound. */
	.globl	notw_syscall_raw
	.hidden	notw_syscall_raw
	.type	notw_syscall_raw, @function
	.p2align 4
notw_syscall_raw:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %r10
	movq	%r9, %r8
	movq	8(%rsp), %r9
	syscall
	cmpq	$-4095, %rax
	jae	2f
	ret
2:	negq	%rax
	movq	%rax, %rdi
	jmp	notw_syscall_failed
	.size	notw_syscall_raw, .-notw_syscall_raw

	.globl	vfork
	.type	vfork, @function
	.p2align 4
vfork:
	popq	%rsi			/* the return address: the child may reuse the stack */
	movl	$58, %eax		/* SYS_vfork */
	syscall
	pushq	%rsi
	cmpq	$-4095, %rax
	jae	3f
	movq	notw_vfork_flag@gottpoff(%rip), %rdx
	testq	%rax, %rax
	jnz	4f
	movb	$1, %fs:(%rdx)		/* the child */
	ret
4:	movb	$0, %fs:(%rdx)		/* the parent, resumed after exec or exit */
	ret
3:	negq	%rax
	movq	%rax, %rdi
	jmp	notw_vfork_failed
	.size	vfork, .-vfork

	.section .note.GNU-stack,"",@progbits
