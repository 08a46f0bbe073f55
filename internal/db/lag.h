/*
 * lag.h — how stale a hot standby is, from WAL positions (pure: no I/O).
 *
 * The rule (README "Read replicas"): every check samples the primary's
 * WAL insert position (lag_lsn_settled) at a known instant, then the standby's
 * pg_last_wal_replay_lsn(). The primary's samples are kept in a window. A
 * standby that has replayed up to R holds every commit the primary had made
 * by the newest sample instant t whose position was <= R, so it is at most
 * (now - t) behind: its "fresh since" instant is t. An idle primary does not
 * move, so a standby that has replayed its position stays fresh however long
 * ago the last commit was (the replay timestamp would call it stale). A
 * paused or cut-off standby keeps its old instant while the primary moves,
 * and its staleness grows with the clock, even if nobody checks again.
 */
#ifndef ATTAIN_DB_LAG_H
#define ATTAIN_DB_LAG_H

#include <stdbool.h>
#include <stdint.h>

#define LAG_WINDOW 128

struct lag_window {
	int64_t t_ms[LAG_WINDOW]; /* sample instants (monotonic ms), oldest first from `first` */
	uint64_t lsn[LAG_WINDOW]; /* the primary's position at each */
	int first, n;
};

/*
 * Parse a pg_lsn text ("16/B374D848") into *out. False when malformed;
 * *out untouched then.
 */
bool lag_lsn_parse(const char *text, uint64_t *out);
/* Format lsn as PostgreSQL prints it ("16/B374D848") into out (>= 20 bytes). */
void lag_lsn_format(uint64_t lsn, char out[20]);
/*
 * The position `insert` (pg_current_wal_insert_lsn) moved back over a page
 * header it points just past: with nothing written since, the insert
 * position of an idle primary is the start of the next record, after the
 * header of the page (24 bytes) or segment (40 bytes) it opens, while a
 * standby that replayed everything stands at the end of the last record,
 * before that header. No record lies inside a header, so the two name the
 * same state. wal_block_size and wal_segment_size are the primary's.
 */
uint64_t lag_lsn_settled(uint64_t insert, uint64_t wal_block_size, uint64_t wal_segment_size);
/* Record that the primary was at `lsn` at instant t_ms (not before the last sample). */
void lag_window_add(struct lag_window *w, int64_t t_ms, uint64_t lsn);
/*
 * The newest sample instant whose position the standby, replayed to
 * `replay`, has reached, into *t_ms. False when no kept sample is covered
 * (the standby is behind the whole window): *t_ms untouched then.
 */
bool lag_window_fresh_since(const struct lag_window *w, uint64_t replay, int64_t *t_ms);

#endif
