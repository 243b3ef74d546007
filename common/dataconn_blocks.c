/*
 * dataconn_blocks.c: how large a transfer's file blocks are: a share of one
 * budget for the whole process.
 *
 * A transfer reads ahead (sending) or writes behind (receiving) in two
 * blocks.  Large blocks save CPU (fewer thread-pool requests, fewer pauses
 * of the socket), small ones save memory; which matters depends on how many
 * transfers run at once.  So each transfer, when it starts, takes its
 * blocks' size from FTP_DATA_BLOCKS_BUDGET shared among the transfers that
 * hold blocks, within FTP_DATA_BLOCK_MIN and FTP_DATA_BLOCK_MAX: one transfer
 * alone gets the largest blocks, a thousand get the smallest.
 *
 * One libuv loop per process: the count is the loop thread's alone.
 */
#include "dataconn_int.h"
#include "ftp_limits.h"

static unsigned holders; /* transfers holding blocks */

size_t ftp__dc_blocks_take(void) {
  size_t share, size = FTP_DATA_BLOCK_MAX;

  holders++;
  share = FTP_DATA_BLOCKS_BUDGET / (2 * (size_t)holders);
  while (size > FTP_DATA_BLOCK_MIN && size > share)
    size /= 2;
  return size;
}

void ftp__dc_blocks_give(void) {
  if (holders > 0)
    holders--;
}
