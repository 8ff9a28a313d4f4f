// The transport (sockets, connections, threads) is part of what users of the network layer work with.
@_exported import Transport
