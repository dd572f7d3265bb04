import Foundation
import Shared

/// Reading and replacing an inventory file as a whole.
enum InventoryFile {
    /// The file's bytes, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let expanded = expandTilde(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory) else { return nil }
        guard !isDirectory.boolValue else {
            throw UsageError("--inventory \(path) is a directory; pass the path of the inventory.json inside it")
        }
        guard let data = FileManager.default.contents(atPath: expanded) else {
            throw UsageError("--inventory \(path) cannot be read; check its permissions")
        }
        return Array(data)
    }

    /// Replaces the file at once: the bytes go to a temporary file beside it (with the old file's
    /// permissions), which is then renamed over it, so a reader never sees half a file.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let expanded = expandTilde(path)
        let url = URL(fileURLWithPath: expanded)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        let permissions = (try? FileManager.default.attributesOfItem(atPath: expanded))?[.posixPermissions]
        do {
            try Data(bytes).write(to: temporary)
            if let permissions {
                try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary.path)
            }
            guard rename(temporary.path, expanded) == 0 else {
                throw UsageError("cannot replace \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw UsageError("cannot write the inventory \(path): \(error); check the directory's permissions")
        }
    }
}
