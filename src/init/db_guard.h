/*
 * db_guard.h
 *	  Stopping a pool before DROP / RENAME / template use of its database.
 */
#ifndef AIGW_DB_GUARD_H
#define AIGW_DB_GUARD_H

extern void aigw_db_guard_install(void);

#endif							/* AIGW_DB_GUARD_H */
