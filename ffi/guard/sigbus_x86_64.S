/*
 * The fault guard's SIGBUS handler for x86_64 Linux (see ffi/guard/install.ts).
 *
 * @seed/mmap copies these bytes to the start of a page, writes the data area
 * at DATA bytes into that page, makes the page read+exec, and installs it
 * with sigaction(SIGBUS, SA_SIGINFO | SA_ONSTACK). Position-independent: it
 * finds its data area relative to its own address.
 *
 * When the kernel reports a fault (si_code 1..127) at an address inside a
 * live range of the table, the faulting page and the rest of the range after
 * it are replaced by anonymous zero pages (raw mmap syscall, MAP_FIXED), the
 * range's and the table's fault counters go up, and the handler returns: the
 * load or store runs again on the zero page. The rest of the range goes too
 * because a file that shrank lost all of it, and because a page at a time
 * would split the mapping into a mapping per page (the kernel allows some
 * 65530): one fault per range, one mapping more. Every other SIGBUS goes to the handler that was installed
 * before, with the registers this one received (a tail jump), so a genuine
 * crash ends as it did. Where there was no handler before (SIG_DFL), the
 * default action is restored and the signal raised again.
 *
 * Table layout (shared with ffi/guard/table.ts):
 *   header: +0 u32 slots in use (high-water), +4 u32 faults in all ranges
 *   slot i at 64 + 32 * i: +0 u32 state, +4 u32 faults, +8 u64 start,
 *   +16 u64 end (exclusive). state = generation << 2 | status, status
 *   2 = live. Writers change the state word on every change (a seqlock),
 *   so a range read between two equal state loads is whole.
 */
        .set    DATA, 2048              /* data area: offset from the handler */
        .set    D_TABLE, 16             /* u64 table address */
        .set    D_PREV, 24              /* u64 previous sa_handler */
        .set    D_PAGEMASK, 32          /* u64 ~(page size - 1) */
        .set    D_PAGESIZE, 40          /* u64 page size */
        .set    T_HIGH, 0
        .set    T_FAULTS, 4
        .set    T_SLOTS, 64
        .set    S_STATE, 0
        .set    S_FAULTS, 4
        .set    S_START, 8
        .set    S_END, 16
        .set    SLOT, 32

        .text

guard_sigbus:
        /* edi: signal number, rsi: siginfo_t *, rdx: ucontext_t * */
        lea     guard_sigbus+DATA(%rip), %r11
        mov     8(%rsi), %eax           /* si_code */
        dec     %eax
        cmp     $0x7e, %eax
        ja      chain                   /* sent by a process or SI_KERNEL: not a fault */
        mov     D_TABLE(%r11), %rax
        mov     16(%rsi), %r8           /* si_addr */
        mov     T_HIGH(%rax), %ecx
        lea     T_SLOTS(%rax), %r9
next:
        test    %ecx, %ecx
        jz      chain
again:
        mov     S_STATE(%r9), %r10d
        test    $1, %r10b
        jnz     skip
        test    $2, %r10b
        jz      skip                    /* not live */
        cmp     S_START(%r9), %r8
        jb      miss
        cmp     S_END(%r9), %r8
        jae     miss
        cmp     S_STATE(%r9), %r10d
        jne     again                   /* rewritten while read: read it again */
        jmp     hit
miss:
        cmp     S_STATE(%r9), %r10d
        jne     again
skip:
        add     $SLOT, %r9
        dec     %ecx
        jmp     next

hit:
        lock incl S_FAULTS(%r9)
        lock incl T_FAULTS(%rax)
        push    %rdi
        push    %rsi
        push    %rdx
        mov     %r8, %rdi
        and     D_PAGEMASK(%r11), %rdi  /* the faulting page */
        mov     S_END(%r9), %rsi        /* through the end of its range */
        cmp     S_STATE(%r9), %r10d
        je      1f
        mov     %rdi, %rsi              /* rewritten since it was read: one page */
        add     D_PAGESIZE(%r11), %rsi
1:
        sub     %rdi, %rsi
        mov     $3, %edx                /* PROT_READ | PROT_WRITE */
        mov     $0x32, %r10d            /* MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS */
        mov     $-1, %r8
        xor     %r9d, %r9d
        mov     $9, %eax                /* SYS_mmap */
        syscall
        pop     %rdx
        pop     %rsi
        pop     %rdi
        cmp     $-4095, %rax
        jae     chain                   /* no zero page: the fault stays what it was */
        ret

chain:
        lea     guard_sigbus+DATA(%rip), %r11
        mov     D_PREV(%r11), %rax
        cmp     $1, %rax
        ja      previous
        jb      default                 /* SIG_DFL */
        mov     8(%rsi), %eax           /* SIG_IGN: a signal sent by a process stays ignored */
        test    %eax, %eax
        jle     done
default:
        /* rt_sigaction(sig, {SIG_DFL}, NULL, 8), then tgkill(getpid(), gettid(), sig):
           the signal ends the process as it would have without any handler. */
        push    $0
        push    $0
        push    $0
        push    $0
        mov     %rsp, %rsi
        xor     %edx, %edx
        mov     $8, %r10d
        mov     $13, %eax               /* SYS_rt_sigaction */
        syscall
        add     $32, %rsp
        mov     %edi, %r8d
        mov     $39, %eax               /* SYS_getpid */
        syscall
        mov     %eax, %r9d
        mov     $186, %eax              /* SYS_gettid */
        syscall
        mov     %r9d, %edi
        mov     %eax, %esi
        mov     %r8d, %edx
        mov     $234, %eax              /* SYS_tgkill */
        syscall
done:
        ret
previous:
        jmp     *%rax
