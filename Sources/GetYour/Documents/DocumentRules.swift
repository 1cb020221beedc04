/// Which files are accepted, by content (P6).
enum DocumentRules {
    /// libmagic MIME type → the extension used in served file names.
    static let allowed: [String: String] = [
        "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
        "image/heic": "heic", "image/heif": "heif", "image/webp": "webp",
    ]
}
