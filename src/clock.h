/*
 * clock.h - the monotonic clock every timeout and timing reads.
 */
#ifndef AR_CLOCK_H
#define AR_CLOCK_H

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
double clock_now_ms(void);

#endif
