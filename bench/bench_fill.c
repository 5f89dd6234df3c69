/* bench_fill: writes a backlog of N realistic events into a terminal outbox
 * (through the outbox module, in chunks of 10,000 per transaction), as a
 * terminal that was offline for a long shift would have.
 *
 *   bench_fill OUTBOX.db COUNT [receive|issue]
 *
 * receive (the default): receipts of 1 to 5 units of 500 items in three
 * warehouses W00-W02, each a new lot on the server.  issue: issues of 2
 * units of the same items and warehouses to twelve units U00-U11, in the
 * same rotation, so that after a receive backlog of the same COUNT has been
 * applied every issue fits the stock (each item and warehouse received
 * about 3 units per issue of 2: no refusal) and about half of them draw on
 * two lots. */
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
    int issue;
    const size_t chunk = 10000;

    if ((argc != 3 && argc != 4) || (n = atol(argv[2])) <= 0 ||
        (argc == 4 && strcmp(argv[3], "receive") != 0 && strcmp(argv[3], "issue") != 0)) {
        fprintf(stderr, "usage: bench_fill OUTBOX.db COUNT [receive|issue]\n");
        return 2;
    }
    issue = argc == 4 && strcmp(argv[3], "issue") == 0;
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
            ev->type = issue ? TT_EVENT_ISSUE : TT_EVENT_RECEIVE;
            ev->ts_ms = tt_clock_wall_ms();
            snprintf(ev->operator_id, sizeof ev->operator_id, "op%02ld", j % 7);
            snprintf(ev->body.stock.warehouse, sizeof ev->body.stock.warehouse, "W%02ld", j % 3);
            snprintf(ev->body.stock.item, sizeof ev->body.stock.item, "69012345%05ld", j % 500);
            if (issue) {
                snprintf(ev->body.stock.unit, sizeof ev->body.stock.unit, "U%02ld", j % 12);
                ev->body.stock.qty = 2000;
            } else {
                ev->body.stock.qty = 1000 + (j % 17) * 250;
            }
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
