import Foundation

/// Which files are accepted, by content (P6).
enum DocumentRules {
    /// libmagic MIME type → the extension used in served file names.
    static let allowed: [String: String] = [
        "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
        "image/heic": "heic", "image/heif": "heif", "image/webp": "webp",
    ]

    /// libmagic reads only the start of a file, so a text file that begins with `%PDF-`
    /// passes it. This second look checks that the file also ends the way its format
    /// requires (and that a WebP's declared size is its real size): cheap, and enough to
    /// stop renamed or truncated files. It does not prove the file is safe to render.
    static func looksComplete(type: String, file: URL, size: Int) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return false }
        defer { try? handle.close() }
        let tailLength = min(size, 2048)
        guard (try? handle.seek(toOffset: UInt64(size - tailLength))) != nil,
            let tail = try? handle.read(upToCount: tailLength)
        else { return false }
        switch type {
        case "application/pdf":
            // The trailer marker, possibly followed by line ends or padding.
            return tail.range(of: Data("%%EOF".utf8)) != nil
        case "image/jpeg":
            // End-of-image marker, possibly followed by padding some cameras add.
            let trimmed = tail.reversed().drop { $0 == 0x00 || $0 == 0x0A || $0 == 0x0D }
            return Array(trimmed.prefix(2)) == [0xD9, 0xFF]
        case "image/png":
            return tail.range(of: Data("IEND".utf8)) != nil
        case "image/webp":
            guard (try? handle.seek(toOffset: 4)) != nil, let header = try? handle.read(upToCount: 4), header.count == 4 else {
                return false
            }
            let declared = header.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            return declared + 8 == size || declared + 9 == size  // RIFF size, plus an odd-length pad byte
        case "image/heic", "image/heif":
            // An ISO-BMFF file: its first box is `ftyp` and the file holds an `mdat` box.
            guard (try? handle.seek(toOffset: 4)) != nil, let box = try? handle.read(upToCount: 4) else { return false }
            return box == Data("ftyp".utf8) && size > 32
        default:
            return false
        }
    }
}
