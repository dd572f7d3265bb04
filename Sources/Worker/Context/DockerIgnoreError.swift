/// A `.dockerignore` that Docker itself would refuse, with the pattern and line that broke it.
public struct DockerIgnoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The ignore file the pattern came from.
    public var file: String
    /// The pattern as written after Docker's cleaning.
    public var pattern: String
    /// What is wrong with it.
    public var problem: String

    /// Creates an error.
    public init(file: String, pattern: String, problem: String) {
        self.file = file
        self.pattern = pattern
        self.problem = problem
    }

    public var description: String {
        "\(file): the pattern \(String(reflecting: pattern)) \(problem); Docker refuses it too, fix the line"
    }
}
