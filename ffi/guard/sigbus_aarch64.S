/*
 * The fault guard's SIGBUS handler for aarch64 Linux: the same program as
 * sigbus_x86_64.S (read its header for what it does, the data area and the
 * table layout). Loads of a slot's state word are acquire loads (ldar), and
 * the second one is ordered after the range's loads (dmb ishld), so a range
 * read between two equal state words is whole. Counters go up with
 * exclusive load/store pairs (ARMv8.0 has no LSE atomics).
 */
        .set    DATA, 2048
        .set    D_TABLE, 16
        .set    D_PREV, 24
        .set    D_PAGEMASK, 32
        .set    D_PAGESIZE, 40
        .set    T_FAULTS, 4
        .set    T_SLOTS, 64
        .set    S_FAULTS, 4
        .set    S_START, 8
        .set    SLOT, 32

        .text
guard_sigbus:
        /* x0: signal number, x1: siginfo_t *, x2: ucontext_t * */
        adr     x9, guard_sigbus + DATA
        ldr     w10, [x1, #8]           /* si_code */
        sub     w10, w10, #1
        cmp     w10, #0x7e
        b.hi    chain                   /* sent by a process or SI_KERNEL: not a fault */
        ldr     x10, [x9, #D_TABLE]
        ldr     x11, [x1, #16]          /* si_addr */
        ldar    w12, [x10]              /* slots in use */
        add     x13, x10, #T_SLOTS
next:
        cbz     w12, chain
again:
        ldar    w14, [x13]              /* state */
        tbnz    w14, #0, skip
        tbz     w14, #1, skip           /* not live */
        ldp     x3, x4, [x13, #S_START] /* start, end */
        dmb     ishld
        ldr     w5, [x13]
        cmp     w5, w14
        b.ne    again                   /* rewritten while read: read it again */
        cmp     x11, x3
        b.lo    skip
        cmp     x11, x4
        b.hs    skip

        add     x6, x13, #S_FAULTS
1:      ldxr    w7, [x6]
        add     w7, w7, #1
        stxr    w5, w7, [x6]
        cbnz    w5, 1b
        add     x6, x10, #T_FAULTS
2:      ldxr    w7, [x6]
        add     w7, w7, #1
        stxr    w5, w7, [x6]
        cbnz    w5, 2b
        mov     x15, x0
        mov     x16, x1
        mov     x17, x2
        ldr     x3, [x9, #D_PAGEMASK]
        and     x0, x11, x3             /* the faulting page */
        sub     x1, x4, x0              /* through the end of its range (read under the seqlock) */
        mov     x2, #3                  /* PROT_READ | PROT_WRITE */
        mov     x3, #0x32               /* MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS */
        mov     x4, #-1
        mov     x5, #0
        mov     x8, #222                /* SYS_mmap */
        svc     #0
        cmn     x0, #4095
        b.hs    failed                  /* no zero page: the fault stays what it was */
        ret
failed:
        mov     x0, x15
        mov     x1, x16
        mov     x2, x17
        b       chain

skip:
        add     x13, x13, #SLOT
        sub     w12, w12, #1
        b       next

chain:
        ldr     x3, [x9, #D_PREV]
        cmp     x3, #1
        b.hi    previous
        b.lo    default                 /* SIG_DFL */
        ldr     w4, [x1, #8]            /* SIG_IGN: a signal sent by a process stays ignored */
        cmp     w4, #0
        b.le    done
default:
        /* rt_sigaction(sig, {SIG_DFL}, NULL, 8), then tgkill(getpid(), gettid(), sig) */
        mov     x15, x0
        stp     xzr, xzr, [sp, #-32]!
        stp     xzr, xzr, [sp, #16]
        mov     x1, sp
        mov     x2, #0
        mov     x3, #8
        mov     x8, #134                /* SYS_rt_sigaction */
        svc     #0
        add     sp, sp, #32
        mov     x8, #172                /* SYS_getpid */
        svc     #0
        mov     x16, x0
        mov     x8, #178                /* SYS_gettid */
        svc     #0
        mov     x1, x0
        mov     x0, x16
        mov     x2, x15
        mov     x8, #131                /* SYS_tgkill */
        svc     #0
done:
        ret
previous:
        br      x3
