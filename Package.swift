// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "coordinator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "coordinator", targets: ["Coordinator"]),
        .library(name: "Shared", targets: ["Shared"]),
        .library(name: "Worker", targets: ["Worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        // No traits: the default one (SubprocessFoundation) only adds `Data` overloads, which we do not use.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        // `FilePath`, which Subprocess's API takes.
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        // zlib's gzip for context uploads that are mostly tar headers (files the host already has).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"])]
        ),
        // libssh2 1.10 makes one EVP_Cipher call per 16-byte AES-CTR block: this serves them from a
        // keystream computed in bulk (Worker installs it once per process).
        .target(
            name: "CAESCTR",
            cSettings: [.define("OPENSSL_SUPPRESS_DEPRECATED")],
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .target(
            name: "Shared",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "Worker",
            dependencies: [
                "CSSH2",
                "CAESCTR",
                "Shared",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "Coordinator",
            dependencies: [
                "Shared",
                "Worker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            plugins: ["VersionStamp"]
        ),
        // Writes the git tag and commit into the Coordinator target before each build (`--version`).
        .plugin(name: "VersionStamp", capability: .buildTool()),
        .target(
            name: "TestSupport",
            dependencies: [
                "Shared",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport"
        ),
        // Not a product: `scripts/bench/ssh-upload` builds and runs it.
        .executableTarget(name: "SSHBench", dependencies: ["Worker", "TestSupport"], path: "Benchmarks/SSHBench"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"]),
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Shared", "CSSH2", "CAESCTR", "TestSupport"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "Shared", "Worker", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Coordinator", "Shared", "Worker", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
