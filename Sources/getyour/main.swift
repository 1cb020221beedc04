import Foundation
import GetYour
import Logging
import Vapor

/// Entry point: load settings, bootstrap logging, build the app, run the command (style 1).

#if os(Linux)
    /// glibc's `mallopt` (malloc.h, which Swift's Glibc module does not bring in).
    @_silgen_name("mallopt") func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
    let glibcArenaMax: Int32 = -8  // M_ARENA_MAX

    // glibc gives every thread that allocates its own heap ("arena"), up to 8 per core, and
    // keeps what each one freed: with NIO's event loops and thread pools passing buffers
    // between threads, that is memory held for nothing. As many arenas as cores (at least 2)
    // keep a 20 MB upload's peak under 5 MB (Tests/ops/s3_large_upload.py). MALLOC_ARENA_MAX in
    // the environment still wins.
    if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
        _ = glibcMallopt(glibcArenaMax, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
    }
#endif

let arguments = CommandLine.arguments
let root = URL(
    fileURLWithPath: ProcessInfo.processInfo.environment["GETYOUR_ROOT"]
        ?? FileManager.default.currentDirectoryPath, isDirectory: true)

let settings: Settings
do {
    settings = try Settings.load(root: root)
} catch {
    FileHandle.standardError.write(Data("getyour: \(error)\n".utf8))
    exit(78)  // EX_CONFIG
}

let level = Logger.Level(rawValue: settings.logLevel) ?? .info
// JSON lines outside `local` (app.log_format), for a log shipper; plain text on a laptop.
LoggingSystem.bootstrap { label in
    switch settings.logFormat {
    case .json:
        var handler = JSONLogHandler(label: label)
        handler.logLevel = level
        return handler
    case .text:
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = level
        return handler
    }
}

let app = try await Application.make(Environment(name: settings.environment.rawValue, arguments: arguments))
do {
    try await configure(app, settings: settings)
    app.registerCommands()
    // `local` is meant to start from nothing: `serve` brings both databases up to date and
    // loads the reference data itself.
    let first = arguments.dropFirst().first
    let isServe = first == nil || first == "serve" || (first?.hasPrefix("-") == true && !["--help", "-h"].contains(first!))
    if settings.environment == .local, isServe {
        try await app.migrate(.primary)
        try await app.migrate(.analytics)
        let seeded = try await app.seedReferenceData()
        app.logger.notice("\(seeded)")
    }
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
