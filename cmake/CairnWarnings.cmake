# Warnings for our own targets: cairn_target_defaults(target) applies them.
function(cairn_target_defaults target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${CAIRN_WERROR}>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr -Xcompiler=-Wall>)
endfunction()

if(CAIRN_SANITIZE)
  # Quoted: unquoted, the semicolons would split the generator expression apart.
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=${CAIRN_SANITIZE};-fno-omit-frame-pointer;-fno-sanitize-recover=all>")
  add_link_options(-fsanitize=${CAIRN_SANITIZE})
endif()

if(CAIRN_FUZZ)
  # libFuzzer coverage in the libraries the fuzz targets link, not only in their own files.
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=fuzzer-no-link,address,undefined>")
  add_link_options(-fsanitize=address,undefined)
endif()
