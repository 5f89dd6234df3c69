/* bench_fill: writes a backlog of N realistic events into a terminal outbox
 * (through the outbox module, in chunks of 10,000 per transaction), as a
 * terminal that was offline for a long shift would have. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "outbox.h"

int main(int argc, char **argv)
{
    tt_outbox_t *ob;
    tt_event_t *evs;
    char err[256];
    long n;
    const size_t chunk = 10000;

    if (argc != 3 || (n = atol(argv[2])) <= 0) {
        fprintf(stderr, "usage: bench_fill OUTBOX.db COUNT\n");
        return 2;
    }
    if (tt_outbox_open(argv[1], &ob, err, sizeof err) != TT_OK) {
        fprintf(stderr, "bench_fill: %s\n", err);
        return 1;
    }
    evs = calloc(chunk, sizeof *evs);
    if (!evs)
        return 1;
    for (long done = 0; done < n;) {
        size_t k = (size_t)(n - done) < chunk ? (size_t)(n - done) : chunk;
        for (size_t i = 0; i < k; i++) {
            tt_event_t *ev = &evs[i];
            long j = done + (long)i;
            memset(ev, 0, sizeof *ev);
            /* Receives only, so the ledger never refuses one for stock. */
            ev->type = TT_EVENT_RECEIVE;
            ev->ts_ms = tt_clock_wall_ms();
            snprintf(ev->operator_id, sizeof ev->operator_id, "op%02ld", j % 7);
            snprintf(ev->body.stock.warehouse, sizeof ev->body.stock.warehouse, "W%02ld", j % 3);
            snprintf(ev->body.stock.item, sizeof ev->body.stock.item, "69012345%05ld", j % 500);
            ev->body.stock.qty = 1000 + (j % 17) * 250;
        }
        if (tt_outbox_append_many(ob, evs, k) != TT_OK) {
            fprintf(stderr, "bench_fill: append failed\n");
            return 1;
        }
        done += (long)k;
    }
    free(evs);
    tt_outbox_close(ob);
    return 0;
}
