import CFuzzerDriver
import Foundation

/// Fuzz inputs for APIs that read files: written to one file per process in /dev/shm (or the
/// temporary directory), rewritten for every input.
public enum FuzzFile {
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> String {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(directory)/infer-fuzz-\(getpid()).\(suffix)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
        return path
    }
}

extension FuzzFile {
    /// Hands the process's arguments and `callback` to libFuzzer.
    public static func runDriver(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
        var argc = CommandLine.argc
        var argv = Optional(CommandLine.unsafeArgv)
        return LLVMFuzzerRunDriver(&argc, &argv, callback)
    }
}
