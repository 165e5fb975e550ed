using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace AsyncCore.Tests.Architecture;

/// <summary>
/// The namespace dependency graph of an assembly, read from its metadata: for each type, the types of the same assembly
/// it names in its base type, interfaces, generic constraints, fields, method and property signatures, local variables,
/// attributes and the IL of its method bodies (calls, field accesses, <c>newobj</c>, casts, <c>typeof</c>).
/// Compiler-generated types (closures, state machines) count for the type they are nested in.
/// </summary>
internal sealed class NamespaceDependencies
{
    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    private readonly MetadataReader _reader;
    private readonly PEReader _pe;

    private NamespaceDependencies(PEReader pe)
    {
        _pe = pe;
        _reader = pe.GetMetadataReader();
    }

    /// <summary>Namespace → the other namespaces of the assembly it uses, each with one example ("Type → Type").</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = new(StringComparer.Ordinal);

    /// <summary>Every namespace that declares a type (compiler-generated top-level types excluded).</summary>
    public SortedSet<string> Namespaces { get; } = new(StringComparer.Ordinal);

    public static NamespaceDependencies Read(string assemblyPath, string rootNamespace)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var graph = new NamespaceDependencies(pe);
        graph.Build(rootNamespace);
        return graph;
    }

    private void Build(string rootNamespace)
    {
        foreach (var handle in _reader.TypeDefinitions)
        {
            var from = NamespaceOf(handle);
            if (from != rootNamespace && !from.StartsWith(rootNamespace + ".", StringComparison.Ordinal))
            {
                continue;
            }
            Namespaces.Add(from);
            var used = new HashSet<TypeDefinitionHandle>();
            CollectType(handle, used);
            foreach (var target in used)
            {
                var to = NamespaceOf(target);
                if (to == from || (to != rootNamespace && !to.StartsWith(rootNamespace + ".", StringComparison.Ordinal)))
                {
                    continue;
                }
                if (!Edges.TryGetValue(from, out var targets))
                {
                    Edges[from] = targets = new Dictionary<string, string>(StringComparer.Ordinal);
                }
                targets.TryAdd(to, NameOf(handle) + " -> " + NameOf(target));
            }
        }
    }

    private void CollectType(TypeDefinitionHandle handle, HashSet<TypeDefinitionHandle> used)
    {
        var provider = new Collector(this, used);
        var type = _reader.GetTypeDefinition(handle);
        AddEntity(type.BaseType, provider);
        foreach (var implementation in type.GetInterfaceImplementations())
        {
            AddEntity(_reader.GetInterfaceImplementation(implementation).Interface, provider);
        }
        AddGenericConstraints(type.GetGenericParameters(), provider);
        AddAttributes(type.GetCustomAttributes(), provider);
        foreach (var fieldHandle in type.GetFields())
        {
            var field = _reader.GetFieldDefinition(fieldHandle);
            field.DecodeSignature(provider, null);
            AddAttributes(field.GetCustomAttributes(), provider);
        }
        foreach (var propertyHandle in type.GetProperties())
        {
            _reader.GetPropertyDefinition(propertyHandle).DecodeSignature(provider, null);
        }
        foreach (var eventHandle in type.GetEvents())
        {
            AddEntity(_reader.GetEventDefinition(eventHandle).Type, provider);
        }
        foreach (var methodHandle in type.GetMethods())
        {
            var method = _reader.GetMethodDefinition(methodHandle);
            method.DecodeSignature(provider, null);
            AddGenericConstraints(method.GetGenericParameters(), provider);
            AddAttributes(method.GetCustomAttributes(), provider);
            if (method.RelativeVirtualAddress != 0)
            {
                AddBody(_pe.GetMethodBody(method.RelativeVirtualAddress), provider);
            }
        }
    }

    private void AddGenericConstraints(GenericParameterHandleCollection parameters, Collector provider)
    {
        foreach (var parameter in parameters)
        {
            foreach (var constraint in _reader.GetGenericParameter(parameter).GetConstraints())
            {
                AddEntity(_reader.GetGenericParameterConstraint(constraint).Type, provider);
            }
        }
    }

    private void AddAttributes(CustomAttributeHandleCollection attributes, Collector provider)
    {
        foreach (var attribute in attributes)
        {
            AddEntity(_reader.GetCustomAttribute(attribute).Constructor, provider);
        }
    }

    private void AddBody(MethodBodyBlock body, Collector provider)
    {
        if (!body.LocalSignature.IsNil)
        {
            _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null);
        }
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il.ReadByte());
            }
            var opCode = s_opCodes[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                    AddEntity(MetadataTokens.EntityHandle(il.ReadInt32()), provider);
                    break;
                case OperandType.InlineSwitch:
                    var count = il.ReadInt32();
                    il.Offset += 4 * count;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget:
                case OperandType.InlineI:
                case OperandType.InlineSig:
                case OperandType.InlineString:
                case OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                default:
                    break;
            }
        }
    }

    private void AddEntity(EntityHandle handle, Collector provider)
    {
        if (handle.IsNil)
        {
            return;
        }
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                provider.Used.Add((TypeDefinitionHandle)handle);
                break;
            case HandleKind.TypeSpecification:
                _reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(provider, null);
                break;
            case HandleKind.FieldDefinition:
                var field = _reader.GetFieldDefinition((FieldDefinitionHandle)handle);
                provider.Used.Add(field.GetDeclaringType());
                field.DecodeSignature(provider, null);
                break;
            case HandleKind.MethodDefinition:
                var method = _reader.GetMethodDefinition((MethodDefinitionHandle)handle);
                provider.Used.Add(method.GetDeclaringType());
                method.DecodeSignature(provider, null);
                break;
            case HandleKind.MemberReference:
                var member = _reader.GetMemberReference((MemberReferenceHandle)handle);
                AddEntity(member.Parent, provider);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    member.DecodeMethodSignature(provider, null);
                }
                else
                {
                    member.DecodeFieldSignature(provider, null);
                }
                break;
            case HandleKind.MethodSpecification:
                var specification = _reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddEntity(specification.Method, provider);
                specification.DecodeSignature(provider, null);
                break;
            default:
                // Type references point into other assemblies; the checks are about this one.
                break;
        }
    }

    /// <summary>The namespace of a type, or of its outermost declaring type for a nested one.</summary>
    private string NamespaceOf(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = _reader.GetTypeDefinition(type.GetDeclaringType());
        }
        return _reader.GetString(type.Namespace);
    }

    private string NameOf(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        var name = _reader.GetString(type.Name);
        return type.IsNested ? NameOf(type.GetDeclaringType()) + "+" + name : NamespaceOf(handle) + "." + name;
    }

    /// <summary>Decodes signatures only to record the types of this assembly they name.</summary>
    private sealed class Collector(NamespaceDependencies owner, HashSet<TypeDefinitionHandle> used) : ISignatureTypeProvider<int, object?>
    {
        public HashSet<TypeDefinitionHandle> Used => used;

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            used.Add(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            owner.AddEntity(handle, this);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;

        public int GetArrayType(int elementType, ArrayShape shape) => 0;

        public int GetByReferenceType(int elementType) => 0;

        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;

        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;

        public int GetGenericMethodParameter(object? genericContext, int index) => 0;

        public int GetGenericTypeParameter(object? genericContext, int index) => 0;

        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;

        public int GetPinnedType(int elementType) => 0;

        public int GetPointerType(int elementType) => 0;

        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;

        public int GetSZArrayType(int elementType) => 0;
    }
}
