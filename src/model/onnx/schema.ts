/**
 * The part of the ONNX format (onnx.proto, IR version 3 and later) the importer reads and rewrites,
 * as a protobufjs descriptor. Field numbers are the format's; every field a model can carry is
 * listed (functions, sub-graphs, sparse tensors, metadata included), so that decoding and
 * re-encoding a model loses nothing.
 */
import protobuf from "protobufjs";

const f = (id: number, type: string, rule?: "repeated") =>
  rule ? { id, type, rule } : { id, type };

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: f(1, "string"),
            refAttrName: f(21, "string"),
            docString: f(13, "string"),
            type: f(20, "int32"),
            f: f(2, "float"),
            i: f(3, "int64"),
            s: f(4, "bytes"),
            t: f(5, "TensorProto"),
            g: f(6, "GraphProto"),
            sparseTensor: f(22, "SparseTensorProto"),
            tp: f(14, "TypeProto"),
            floats: f(7, "float", "repeated"),
            ints: f(8, "int64", "repeated"),
            strings: f(9, "bytes", "repeated"),
            tensors: f(10, "TensorProto", "repeated"),
            graphs: f(11, "GraphProto", "repeated"),
            sparseTensors: f(23, "SparseTensorProto", "repeated"),
            typeProtos: f(15, "TypeProto", "repeated"),
          },
        },
        ValueInfoProto: {
          fields: {
            name: f(1, "string"),
            type: f(2, "TypeProto"),
            docString: f(3, "string"),
            metadataProps: f(4, "StringStringEntryProto", "repeated"),
          },
        },
        NodeProto: {
          fields: {
            input: f(1, "string", "repeated"),
            output: f(2, "string", "repeated"),
            name: f(3, "string"),
            opType: f(4, "string"),
            domain: f(7, "string"),
            overload: f(8, "string"),
            attribute: f(5, "AttributeProto", "repeated"),
            docString: f(6, "string"),
            metadataProps: f(9, "StringStringEntryProto", "repeated"),
          },
        },
        TrainingInfoProto: {
          fields: {
            initialization: f(1, "GraphProto"),
            algorithm: f(2, "GraphProto"),
            initializationBinding: f(3, "StringStringEntryProto", "repeated"),
            updateBinding: f(4, "StringStringEntryProto", "repeated"),
          },
        },
        ModelProto: {
          fields: {
            irVersion: f(1, "int64"),
            opsetImport: f(8, "OperatorSetIdProto", "repeated"),
            producerName: f(2, "string"),
            producerVersion: f(3, "string"),
            domain: f(4, "string"),
            modelVersion: f(5, "int64"),
            docString: f(6, "string"),
            graph: f(7, "GraphProto"),
            metadataProps: f(14, "StringStringEntryProto", "repeated"),
            trainingInfo: f(20, "TrainingInfoProto", "repeated"),
            functions: f(25, "FunctionProto", "repeated"),
          },
        },
        StringStringEntryProto: { fields: { key: f(1, "string"), value: f(2, "string") } },
        TensorAnnotation: {
          fields: {
            tensorName: f(1, "string"),
            quantParameterTensorNames: f(2, "StringStringEntryProto", "repeated"),
          },
        },
        GraphProto: {
          fields: {
            node: f(1, "NodeProto", "repeated"),
            name: f(2, "string"),
            initializer: f(5, "TensorProto", "repeated"),
            sparseInitializer: f(15, "SparseTensorProto", "repeated"),
            docString: f(10, "string"),
            input: f(11, "ValueInfoProto", "repeated"),
            output: f(12, "ValueInfoProto", "repeated"),
            valueInfo: f(13, "ValueInfoProto", "repeated"),
            quantizationAnnotation: f(14, "TensorAnnotation", "repeated"),
            metadataProps: f(16, "StringStringEntryProto", "repeated"),
          },
        },
        TensorProto: {
          fields: {
            dims: f(1, "int64", "repeated"),
            dataType: f(2, "int32"),
            segment: f(3, "Segment"),
            floatData: f(4, "float", "repeated"),
            int32Data: f(5, "int32", "repeated"),
            stringData: f(6, "bytes", "repeated"),
            int64Data: f(7, "int64", "repeated"),
            name: f(8, "string"),
            docString: f(12, "string"),
            rawData: f(9, "bytes"),
            externalData: f(13, "StringStringEntryProto", "repeated"),
            dataLocation: f(14, "int32"),
            doubleData: f(10, "double", "repeated"),
            uint64Data: f(11, "uint64", "repeated"),
            metadataProps: f(16, "StringStringEntryProto", "repeated"),
          },
          nested: { Segment: { fields: { begin: f(1, "int64"), end: f(2, "int64") } } },
        },
        SparseTensorProto: {
          fields: {
            values: f(1, "TensorProto"),
            indices: f(2, "TensorProto"),
            dims: f(3, "int64", "repeated"),
          },
        },
        TensorShapeProto: {
          fields: { dim: f(1, "Dimension", "repeated") },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: {
                dimValue: f(1, "int64"),
                dimParam: f(2, "string"),
                denotation: f(3, "string"),
              },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: {
              oneof: ["tensorType", "sequenceType", "mapType", "optionalType", "sparseTensorType"],
            },
          },
          fields: {
            tensorType: f(1, "Tensor"),
            sequenceType: f(4, "Sequence"),
            mapType: f(5, "Map"),
            optionalType: f(9, "Optional"),
            sparseTensorType: f(8, "SparseTensor"),
            denotation: f(6, "string"),
          },
          nested: {
            Tensor: { fields: { elemType: f(1, "int32"), shape: f(2, "TensorShapeProto") } },
            Sequence: { fields: { elemType: f(1, "TypeProto") } },
            Map: { fields: { keyType: f(1, "int32"), valueType: f(2, "TypeProto") } },
            Optional: { fields: { elemType: f(1, "TypeProto") } },
            SparseTensor: { fields: { elemType: f(1, "int32"), shape: f(2, "TensorShapeProto") } },
          },
        },
        OperatorSetIdProto: { fields: { domain: f(1, "string"), version: f(2, "int64") } },
        FunctionProto: {
          fields: {
            name: f(1, "string"),
            input: f(4, "string", "repeated"),
            output: f(5, "string", "repeated"),
            attribute: f(6, "string", "repeated"),
            attributeProto: f(11, "AttributeProto", "repeated"),
            node: f(7, "NodeProto", "repeated"),
            docString: f(8, "string"),
            opsetImport: f(9, "OperatorSetIdProto", "repeated"),
            domain: f(10, "string"),
            overload: f(13, "string"),
            valueInfo: f(12, "ValueInfoProto", "repeated"),
            metadataProps: f(14, "StringStringEntryProto", "repeated"),
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProtoType = root.lookupType("onnx.ModelProto");

// The decoded shapes the importer relies on (protobufjs decodes int64 as Long or number).
type Int64 = number | { toNumber(): number };
export const int64 = (v: Int64 | undefined | null): number =>
  v === undefined || v === null ? 0 : typeof v === "number" ? v : v.toNumber();

export interface Dimension {
  dimValue?: Int64;
  dimParam?: string;
}
export interface ValueInfo {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } } };
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: {
    name: string;
    type?: number;
    i?: Int64;
    ints?: Int64[];
    f?: number;
    s?: Uint8Array;
  }[];
  metadataProps?: { key: string; value: string }[];
}
export interface OnnxTensor {
  name: string;
  dims: Int64[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  /** 1: the values are in an external file. */
  dataLocation?: number;
}
export interface OnnxGraph {
  node: OnnxNode[];
  name?: string;
  initializer: OnnxTensor[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
}
export interface OnnxModelProto {
  irVersion?: Int64;
  opsetImport: { domain?: string; version: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  graph?: OnnxGraph;
}
