extension ManifestCreateRequest {
    /// The request `arguments` (what follows `manifest create`) make, read without ArgumentParser, or `nil` for
    /// anything but the plain form: `--help`, `--`, an unknown or repeated single-value option, a flag with a value,
    /// an option value that starts with `-`, or a request that fails ``validate()``. Those go through
    /// ArgumentParser, so help, messages and exit codes stay the tree's.
    ///
    /// `manifest create` ends release pipelines, where its start-up shows next to the few requests it makes, and
    /// ArgumentParser's parse (reflecting over the command's properties, building its name tables) costs more on
    /// Linux than those requests' own work: each first use of a generic type or dynamic cast scans the binary's
    /// protocol conformances. For the forms accepted here the result equals ArgumentParser's (tested one against the
    /// other).
    static func parse(_ arguments: [String]) -> ManifestCreateRequest? {
        var target: String?
        var request = ManifestCreateRequest(target: "", sources: [])
        var windowsVersion: String?
        var certsDirectory: String?
        var flags: Set<String> = []
        var position = 0
        while position < arguments.count {
            let argument = arguments[position]
            position += 1
            guard argument.hasPrefix("-") else {
                guard argument != "help" else { return nil }
                request.sources.append(argument)
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
            let name: Substring
            let inlineValue: Substring?
            if let equals = argument.firstIndex(of: "=") {
                name = argument[argument.index(argument.startIndex, offsetBy: 2)..<equals]
                inlineValue = argument[argument.index(after: equals)...]
            } else {
                name = argument.dropFirst(2)
                inlineValue = nil
            }
            switch name {
            case "drop-attestations", "no-cross-repository", "json":
                guard inlineValue == nil, flags.insert(String(name)).inserted else { return nil }
                continue
            case "target", "windows-version", "certs-dir", "insecure-registry", "ca-cert":
                break
            default:
                return nil
            }
            let value: String
            if let inlineValue {
                value = String(inlineValue)
            } else {
                guard position < arguments.count else { return nil }
                value = arguments[position]
                position += 1
            }
            guard !value.hasPrefix("-") else { return nil }
            switch name {
            case "target":
                guard target == nil else { return nil }
                target = value
            case "windows-version":
                guard windowsVersion == nil else { return nil }
                windowsVersion = value
            case "certs-dir":
                guard certsDirectory == nil else { return nil }
                certsDirectory = value
            case "insecure-registry": request.insecureRegistries.append(value)
            default: request.caCertificates.append(value)
            }
        }
        guard let target else { return nil }
        request.target = target
        request.windowsVersion = windowsVersion
        if let certsDirectory { request.certsDirectory = certsDirectory }
        request.dropAttestations = flags.contains("drop-attestations")
        request.noCrossRepository = flags.contains("no-cross-repository")
        request.json = flags.contains("json")
        guard (try? request.validate()) != nil else { return nil }
        return request
    }
}
