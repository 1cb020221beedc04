// swift-tools-version:6.0
import PackageDescription

/// Get-Your: one application for a city's income-qualified programs.
/// Layout and conventions: see README.md and ../shared/style.md.
let strictness: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "GetYour",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/jwt.git", from: "5.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CMagic", path: "Sources/CMagic", providers: [.apt(["libmagic-dev"])]),
        .target(name: "Eligibility", swiftSettings: strictness),
        .target(
            name: "GetYour",
            dependencies: [
                "Eligibility",
                "CMagic",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "JWT", package: "jwt"),
            ],
            swiftSettings: strictness
        ),
        .executableTarget(name: "getyour", dependencies: ["GetYour"], swiftSettings: strictness),
        .testTarget(name: "EligibilityTests", dependencies: ["Eligibility"], swiftSettings: strictness),
        .testTarget(
            name: "GetYourTests",
            dependencies: [
                "GetYour", .product(name: "VaporTesting", package: "vapor"), .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "JWT", package: "jwt"),
            ],
            swiftSettings: strictness
        ),
    ],
    swiftLanguageModes: [.v6]
)
