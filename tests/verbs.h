/* SPDX-License-Identifier: GPL-2.0 */
/* Small libibverbs helpers shared by the harness's guest programs. */
#ifndef GUPL_VERBS_H
#define GUPL_VERBS_H

#include <string.h>
#include <infiniband/verbs.h>

/* Open the RDMA device called @name, or NULL (errno ENODEV) if absent. */
static inline struct ibv_context *gupl_open_device(const char *name)
{
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!ctx)
		errno = ENODEV;
	return ctx;
}

#define GUPL_MR_ACCESS (IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			IBV_ACCESS_REMOTE_READ)

#endif
