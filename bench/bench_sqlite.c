/* bench_sqlite: the storage limit.  Inserts the same rows the server
 * journals (the event table's schema, same settings: WAL, synchronous=FULL)
 * in transactions of BATCH rows, with nothing else: no stock, no decoding. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"

int main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long n, batch;
    int64_t t0, t1;
    char item[32], op[8], wh[8];

    if (argc != 4 || (n = atol(argv[2])) <= 0 || (batch = atol(argv[3])) <= 0) {
        fprintf(stderr, "usage: bench_sqlite DB COUNT BATCH\n");
        return 2;
    }
    if (sqlite3_open(argv[1], &db) != SQLITE_OK)
        return 1;
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE event (terminal TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT,"
                 " ts_ms INTEGER, server_ms INTEGER NOT NULL, operator TEXT, warehouse TEXT,"
                 " item TEXT, qty INTEGER, status TEXT NOT NULL, reason TEXT,"
                 " PRIMARY KEY (terminal, seq)) WITHOUT ROWID;",
                 NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "INSERT INTO event VALUES (?1, ?2, 'receive', ?3, ?3, ?4, ?5, ?6,"
                               " ?7, 'applied', NULL)", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_sqlite: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    t0 = tt_clock_mono_ms();
    for (long i = 0; i < n; i++) {
        if (i % batch == 0)
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        snprintf(item, sizeof item, "69012345%05ld", i % 500);
        snprintf(op, sizeof op, "op%02ld", i % 7);
        snprintf(wh, sizeof wh, "W%02ld", i % 3);
        sqlite3_bind_text(st, 1, "BENCH", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, i + 1);
        sqlite3_bind_int64(st, 3, tt_clock_wall_ms());
        sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, wh, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, item, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, 1000 + (i % 17) * 250);
        if (sqlite3_step(st) != SQLITE_DONE)
            return 1;
        sqlite3_reset(st);
        if (i % batch == batch - 1 || i == n - 1)
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    t1 = tt_clock_mono_ms();
    printf("%ld %lld\n", n, (long long)(t1 - t0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}
