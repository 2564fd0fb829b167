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
