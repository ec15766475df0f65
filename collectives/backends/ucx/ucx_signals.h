// UCX's library constructor runs before main() and takes SIGHUP for its debug mode
// (UCX_DEBUG_SIGNO, SIGHUP by default), so `kill -HUP` or a hung-up terminal would no
// longer end a process that merely links UCX: it would print UCX's debug output and carry
// on. A command-line tool must end on SIGHUP as any program does (or ignore it under
// nohup, as it was told).
#pragma once

namespace cairn::coll::ucx {

// Gives SIGHUP back the disposition it had before UCX took it (the default, or ignored
// under nohup), unless the user chose UCX's debug signal with UCX_DEBUG_SIGNO.
void restore_hangup_signal();

}  // namespace cairn::coll::ucx
