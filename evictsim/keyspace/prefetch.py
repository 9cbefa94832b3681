"""A software prefetch for compiled loops whose next iterations' addresses are known in advance.

Out-of-order execution overlaps independent cache misses only as far as its reorder window reaches,
a few iterations of a loop with a long body. A loop that walks a queue of work (the jemalloc model's
queue of allocator calls: each entry touches the row of a random key in a table of tens of MB) can
name the row an entry a dozen steps ahead will need, and ask the memory system for it now
(``llvm.prefetch``: a hint, never a fault, never a change of results). The request loop does the same
for the request a few places on (``engine/kernel.py``): its key's per-key fields, its policy field and
its bucket are random positions in arrays of tens of MB once the keyspace has a million keys.
``benchmarks/bench_allocator_model.py`` and ``benchmarks/bench_simulate.py --suite t1`` measure what it
saves on a whole run.
"""
from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Hint that ``array[index]`` will be read or written soon; for an array of more than one
    dimension, the whole row ``index`` (its first and its last element: a row may straddle two cache
    lines). Any index is safe: the hint never faults."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type, index_type = signature.args
        view = context.make_array(array_type)(context, builder, args[0])
        position = context.cast(builder, args[1], index_type, types.intp)
        strides = cgutils.unpack_tuple(builder, view.strides, array_type.ndim)
        byte = ir.IntType(8).as_pointer()
        start = builder.gep(builder.bitcast(view.data, byte), [builder.mul(position, strides[0])])
        addresses = [start]
        if array_type.ndim > 1:     # the row's last byte
            addresses.append(builder.gep(start, [builder.sub(strides[0], ir.Constant(strides[0].type, 1))]))
        for address in addresses:
            _hint(builder, address)
        return context.get_dummy_value()

    return types.void(array, index), codegen


def _hint(builder, address):
    """Write intent (1: the line comes exclusive), keep in all levels (3), data (1)."""
    byte = ir.IntType(8).as_pointer()
    int32 = ir.IntType(32)
    hint = ir.FunctionType(ir.VoidType(), [byte, int32, int32, int32])
    function = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
    builder.call(function, [address, int32(1), int32(3), int32(1)])


@intrinsic
def prefetch_cell(typingctx, array, row, column):
    """Hint that ``array[row, column]`` of a 2-D array will be read or written soon (one line)."""
    if (not isinstance(array, types.Array) or array.ndim != 2 or not isinstance(row, types.Integer)
            or not isinstance(column, types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        i = context.cast(builder, args[1], signature.args[1], types.intp)
        j = context.cast(builder, args[2], signature.args[2], types.intp)
        strides = cgutils.unpack_tuple(builder, view.strides, 2)
        offset = builder.add(builder.mul(i, strides[0]), builder.mul(j, strides[1]))
        _hint(builder, builder.gep(builder.bitcast(view.data, ir.IntType(8).as_pointer()), [offset]))
        return context.get_dummy_value()

    return types.void(array, row, column), codegen
