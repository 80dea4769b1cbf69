// placeholder so the library is not empty; removed by its owner
namespace attngen { [[maybe_unused]] static int placeholder_compiler_lib_Frontend; }
