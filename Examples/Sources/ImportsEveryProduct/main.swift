// Touches one public type of every library product, so a build proves each one imports by version.
import Classification
import Embeddings
import GGUF
import Generation
import OnnxLoader
import Server
import TensorCore
import Tokenizers

let tensor = try Tensor(shape: [2], scalars: [Float(1), 2])
print("TensorCore", tensor.shape)
print("OnnxLoader", OnnxError.self)
print("Classification", ImageNetLabels.names.count, "ImageNet labels")
print("Tokenizers", ChatMessage.user("hi").role)
print("GGUF", GGUFError.self)
print("Generation", LanguageModels.supportedArchitectures)
print("Embeddings", Pooling.allCases.map(\.rawValue))
print("Server", ServerConfiguration().port)
