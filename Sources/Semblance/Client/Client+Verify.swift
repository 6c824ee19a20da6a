import Foundation

extension Client {
    /// Checks every file of the collection `name` without changing any; see
    /// ``DurableCollection/verify(_:directory:)``.
    /// - Throws: `.invalidName`, `.unknownCollection`; `.invalidArgument` for an in-memory
    ///   client or a collection this client has open (close the client and verify with a new
    ///   one); `.locked` when another process has it open.
    public func verify(_ name: String) async throws(SemblanceError) -> VerificationReport {
        try CollectionName.validate(name)
        guard let directory else {
            throw SemblanceError(.invalidArgument, "an in-memory collection has no files to verify")
        }
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path + "/config.json") else {
            throw SemblanceError(.unknownCollection, "no collection named \(name.debugDescription)")
        }
        guard Self.realPath(path) == path else {
            throw SemblanceError(.invalidName, "\(path) is not a plain folder inside \(directory) (a symbolic link)")
        }
        guard !openCollections.contains(where: { $0.name == name }) else {
            throw SemblanceError(.invalidArgument, "collection \(name.debugDescription) is open in this client; verify it from a new client after closing this one")
        }
        return try await runOnQueue(.global()) { () throws(SemblanceError) in try DurableCollection.verify(directory: path) }
    }
}
