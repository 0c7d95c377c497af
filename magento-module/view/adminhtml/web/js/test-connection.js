/**
 * Posts to cronkeeper/system/testConnection and shows reachability, auth and version next to the button.
 */
define(['jquery'], function ($) {
    'use strict';

    return function (config, button) {
        var $button = $(button), $result = $(config.result);

        $button.on('click', function () {
            $result.hide().removeClass('message-success message-error');
            $.ajax({url: $button.data('url'), type: 'POST', dataType: 'json', data: {form_key: window.FORM_KEY}})
                .done(function (response) {
                    $result.addClass(response.success ? 'message-success' : 'message-error')
                        .text(response.message).show();
                })
                .fail(function () {
                    $result.addClass('message-error').text('The test request failed.').show();
                });
        });
    };
});
