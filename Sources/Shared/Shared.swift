/// Values and clients that both the coordinator and the workers use: the inventory, platforms,
/// OCI types, the registry client and build reports.
public enum SharedModule {}
