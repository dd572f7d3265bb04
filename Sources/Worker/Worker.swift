import Shared

/// Driving one remote build host over SSH: session, commands, builders, context upload.
public enum WorkerModule {}
