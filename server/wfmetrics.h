/*
 * wfmetrics: where a process loses its time (part 3 of the source: find
 * the bottleneck, shorten the cycle, assess people), computed from the
 * workflow store over a date range.
 *
 * Per step: visits, the time a task waited before someone took it
 * (activated to claimed) and was worked on (claimed to done), each as
 * median and 90th percentile (nearest rank) in whole seconds, deadline
 * breaches (done after its due time, or still open past it), rework (a
 * step visited again in the same instance) and how often each action or
 * branch was taken.  Per person and per unit: tasks done and their median
 * working time.  Per unit: instances started and ended.  An unclaimed task
 * counts all its time as waiting.
 */
#ifndef TT_WFMETRICS_H
#define TT_WFMETRICS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "err.h"
#include "wfstore.h"

/* Builds the metrics of definition `name` (all its versions) over
 * instances and visits started in [from_ms, to_ms); open tasks are judged
 * at now_ms.  On TT_OK *out is a JSON object owned by the caller
 * (cJSON_Delete), laid out as docs/api.md shows.  Returns TT_ERR_DB or
 * TT_ERR_NOMEM. */
tt_err_t tt_wfmetrics_build(tt_wfstore_t *store, const char *name, int64_t from_ms,
                            int64_t to_ms, int64_t now_ms, cJSON **out);

#endif
