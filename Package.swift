// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "kubectl-agw",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kubectl-agw", targets: ["kubectl-agw"]),
        .executable(name: "agw-sandbox", targets: ["agw-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // libcurl, through pkg-config; the header adds typed setters because curl_easy_setopt is variadic.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        .target(
            name: "Shared",
            dependencies: [
                "CCurl",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "kubectl-agw",
            dependencies: [
                "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The local servers: an independent implementation that never imports Shared.
        .target(
            name: "Sandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "agw-sandbox",
            dependencies: [
                "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks (bench/): the tool against the manual flow on the sandbox.
        .executableTarget(
            name: "agw-bench",
            dependencies: ["Sandbox", "Shared"]
        ),
        // Helpers both test targets use: temporary folders and child processes that never block the pool.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: ["Shared", "Sandbox", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // The built binaries and the real kubectl against the local servers.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Sandbox", "TestSupport"]
        ),
    ]
)
