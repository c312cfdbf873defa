/**
 * Types the core's `lib` setting (es2023, no DOM) leaves out but Node 24 provides, used by the
 * transform runtime: the parts of the `WebAssembly` JS API it touches, and growable
 * `SharedArrayBuffer` (ES2024). Declared to merge with the standard declarations should the
 * project later include `dom` or `es2024`.
 */
declare global {
  namespace WebAssembly {
    type ImportExportKind = 'function' | 'global' | 'memory' | 'table' | 'tag';
    interface ModuleExportDescriptor {
      kind: ImportExportKind;
      name: string;
    }
    interface ModuleImportDescriptor {
      kind: ImportExportKind;
      module: string;
      name: string;
    }
    type ImportValue = unknown;
    type Imports = Record<string, Record<string, ImportValue>>;
    type Exports = Record<string, unknown>;
    interface Module {}
    var Module: {
      prototype: Module;
      new (bytes: ArrayBufferView | ArrayBuffer): Module;
      exports(moduleObject: Module): ModuleExportDescriptor[];
      imports(moduleObject: Module): ModuleImportDescriptor[];
      customSections(moduleObject: Module, sectionName: string): ArrayBuffer[];
    };
    interface Instance {
      readonly exports: Exports;
    }
    var Instance: {
      prototype: Instance;
      new (module: Module, importObject?: Imports): Instance;
    };
    interface RuntimeError extends Error {}
    var RuntimeError: {
      prototype: RuntimeError;
      new (message?: string): RuntimeError;
    };
    interface LinkError extends Error {}
    var LinkError: {
      prototype: LinkError;
      new (message?: string): LinkError;
    };
    interface CompileError extends Error {}
    var CompileError: {
      prototype: CompileError;
      new (message?: string): CompileError;
    };
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: {
      prototype: Memory;
      new (descriptor: { initial: number; maximum?: number; shared?: boolean }): Memory;
    };
    interface Table {
      readonly length: number;
    }
    var Table: {
      prototype: Table;
      new (descriptor: { element: 'anyfunc' | 'externref'; initial: number; maximum?: number }): Table;
    };
    interface Global {
      value: unknown;
    }
    var Global: {
      prototype: Global;
      new (descriptor: { value: 'i32' | 'i64' | 'f32' | 'f64'; mutable?: boolean }, value?: unknown): Global;
    };
    interface WebAssemblyInstantiatedSource {
      module: Module;
      instance: Instance;
    }
    function instantiate(bytes: ArrayBufferView | ArrayBuffer, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
    function instantiate(moduleObject: Module, importObject?: Imports): Promise<Instance>;
    function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }

  interface SharedArrayBuffer {
    /** ES2024: the largest length `grow` may reach. */
    readonly maxByteLength: number;
    /** ES2024: whether the buffer can grow. */
    readonly growable: boolean;
    /** ES2024: grows the buffer in place (never shrinks). */
    grow(newByteLength?: number): void;
  }

  interface SharedArrayBufferConstructor {
    new (byteLength?: number, options?: { maxByteLength?: number }): SharedArrayBuffer;
  }
}

export {};
