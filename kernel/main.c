// SPDX-License-Identifier: GPL-2.0
/*
 * vsync: module init and exit.
 *
 * Init brings the layers up from the bottom (namespaces, rings, sockets,
 * netlink) and unwinds in reverse on failure; exit tears them down in the
 * same reverse order. Nothing here takes locks of its own.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>

#include "vsync.h"

/*
 * The socket family number. Linux allocates family numbers only to code in
 * the kernel tree, so vsync borrows one that no 6.1 kernel registers:
 * AF_ECONET (19) lost its implementation in Linux 3.5. Userspace never
 * hard-codes it: it reads the parameter or VSYNC_A_INFO_FAMILY.
 */
#define VSYNC_DEFAULT_FAMILY 19

int vsync_family __read_mostly = VSYNC_DEFAULT_FAMILY;
module_param_named(family, vsync_family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (default 19)");

static int __init vsync_init(void)
{
	int ret;

	if (vsync_family <= AF_UNSPEC || vsync_family >= NPROTO) {
		pr_err("family=%d is out of range, it must be 1..%d\n",
		       vsync_family, NPROTO - 1);
		return -EINVAL;
	}

	ret = vsync_bundle_init();
	if (ret)
		goto err_bundle;
	ret = vsync_netns_init();
	if (ret)
		goto err_netns;
	ret = vsync_ring_init();
	if (ret)
		goto err_ring;
	ret = vsync_sock_init();
	if (ret)
		goto err_sock;
	ret = vsync_genl_init();
	if (ret)
		goto err_genl;

	pr_info("version " VSYNC_VERSION_STR " loaded, socket family %d\n",
		vsync_family);
	return 0;

err_genl:
	vsync_sock_uninit();
err_sock:
	vsync_ring_uninit();
err_ring:
	vsync_netns_uninit();
err_netns:
	vsync_bundle_uninit();
err_bundle:
	return ret;
}

static void __exit vsync_exit(void)
{
	vsync_genl_uninit();
	vsync_sock_uninit();
	vsync_ring_uninit();
	vsync_netns_uninit();
	vsync_bundle_uninit();
	pr_info("unloaded\n");
}

module_init(vsync_init);
module_exit(vsync_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vsync: Totem total order and virtual synchrony sockets");
MODULE_AUTHOR("The vsync developers");
MODULE_VERSION(VSYNC_VERSION_STR);
MODULE_ALIAS_NETPROTO(VSYNC_DEFAULT_FAMILY);
MODULE_ALIAS_GENL_FAMILY(VSYNC_GENL_NAME);
